namespace MtlBatch.Corpus;
