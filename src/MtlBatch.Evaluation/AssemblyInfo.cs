namespace MtlBatch.Evaluation;
