using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("MtlBatch.Inference.Tests")]

namespace MtlBatch.Inference;
