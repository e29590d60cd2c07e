namespace MtlBatch.Inference;
