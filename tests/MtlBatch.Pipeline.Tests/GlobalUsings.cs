global using MtlBatch.Testing;
