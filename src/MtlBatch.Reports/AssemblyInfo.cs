namespace MtlBatch.Reports;
