using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("MtlBatch.Audio.Tests")]
