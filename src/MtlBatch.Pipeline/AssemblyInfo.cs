namespace MtlBatch.Pipeline;
