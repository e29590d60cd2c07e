using System.Runtime.CompilerServices;

// The library's public surface is the front door (SpeechModel, SpeechProcessorBuilder, SpeechProcessor, RecordingProcessor,
// RecordingAudio), the options classes and voiceprints; the plumbing (CTC decoding, streaming, post-processing, benchmarks,
// the batch runner) is internal, shared only with MtlBatch's own applications and tests.
[assembly: InternalsVisibleTo("mtlbatch")]
[assembly: InternalsVisibleTo("MtlBatch.Evaluation")]
[assembly: InternalsVisibleTo("MtlBatch.Pipeline")]
[assembly: InternalsVisibleTo("MtlBatch.Corpus")]
[assembly: InternalsVisibleTo("MtlBatch.Inference.Tests")]
[assembly: InternalsVisibleTo("MtlBatch.Pipeline.Tests")]
[assembly: InternalsVisibleTo("MtlBatch.Reliability.Tests")]
[assembly: InternalsVisibleTo("MtlBatch.Corpus.Tests")]
[assembly: InternalsVisibleTo("MtlBatch.Testing")]

namespace MtlBatch.Inference;
