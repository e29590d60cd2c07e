namespace MtlBatch.Audio;
