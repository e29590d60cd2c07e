namespace MtlBatch.Functions;
