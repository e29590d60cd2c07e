using System.Text.Json.Nodes;
using MtlBatch.Core;
using MtlBatch.Reports;

namespace MtlBatch.Pipeline.Tests;

/// <summary>The whole pipeline on real Azurite with the real decoder and model, driven by the local worker.</summary>
public sealed class EndToEndTests
{
    private static readonly string[] Formats = ["wav", "mp3", "m4a", "flac", "ogg"];

    [Fact]
    public async Task Mixed_formats_archive_and_corrupt_file_end_in_8_result_sets_and_1_error_then_a_repeat_upload_changes_nothing()
    {
        await using var h = await PipelineHarness.CreateAsync();
        var media = TestMedia.Shared;
        for (var i = 0; i < Formats.Length; i++)
            await h.UploadAsync($"inbox/call{i}.{Formats[i]}", media.Speech(i, Formats[i]));
        await h.UploadAsync("inbox/batch.zip", media.Zip("batch.zip", 5, 6, 7));
        await h.UploadAsync("inbox/broken.mp3", TestMedia.Corrupt());

        var report = await h.RunWorkerOnceAsync();

        var expected = Formats.Select((f, i) => $"inbox/call{i}.{f}").Concat(new[] { 5, 6, 7 }.Select(i => $"inbox/batch/calls/entry{i}.wav")).ToList();
        var blobs = await h.ListResultsAsync();
        foreach (var recording in expected)
        {
            foreach (var file in ResultSetRenderer.FileNames)
                Assert.True(blobs.ContainsKey($"{recording}/{file}"), $"{recording}/{file} missing");
            var json = await h.ReadResultTextAsync($"{recording}/{ResultSchema.Files.Result}");
            var validation = ResultValidator.Default.Validate(ResultSchema.Files.Result, json);
            Assert.True(validation.IsValid, validation.ToString());
            var result = MtlJson.Deserialize<AnalysisResult>(json);
            Assert.Equal(recording, result.Recording.Name);
            Assert.InRange(result.Recording.DurationSeconds, 1.0, 6.0);
            Assert.False(blobs.ContainsKey($"{recording}/{ResultSchema.Files.Error}"));
        }
        Assert.Equal(8, blobs.Keys.Count(k => k.EndsWith("/" + ResultSchema.Files.Result, StringComparison.Ordinal)));

        var errorJson = await h.ReadResultTextAsync("inbox/broken.mp3/error.json");
        Assert.True(ResultValidator.Default.Validate(ResultSchema.Files.Error, errorJson).IsValid);
        var error = MtlJson.Deserialize<ErrorRecord>(errorJson);
        Assert.Equal(ErrorCodes.UnsupportedMedia, error.Code);
        Assert.Equal(1, blobs.Keys.Count(k => k.EndsWith("/" + ResultSchema.Files.Error, StringComparison.Ordinal)));

        // The ledger: one row per recording, found by recording path.
        var query = h.Get<JobQueryService>();
        foreach (var recording in expected)
        {
            var job = await query.GetByRecordingAsync(recording, CancellationToken.None);
            Assert.NotNull(job);
            Assert.Equal(nameof(JobState.Succeeded), job.State);
            Assert.Equal("cpu", job.Device);
            Assert.True(job.CompletedAt >= job.StartedAt);
        }
        var failed = await query.GetByRecordingAsync("inbox/broken.mp3", CancellationToken.None);
        Assert.Equal(nameof(JobState.Failed), failed!.State);
        Assert.Equal(ErrorCodes.UnsupportedMedia, failed.ErrorCode);
        Assert.Equal(9, (await h.JobRowsAsync()).Count);

        // Events: one per success, one for the failure.
        var events = await h.DrainEventsAsync();
        Assert.Equal(expected.Order(StringComparer.Ordinal), events.Where(e => e.Type == PipelineEventTypes.Succeeded).Select(e => e.Recording).Order(StringComparer.Ordinal));
        Assert.Equal(["inbox/broken.mp3"], events.Where(e => e.Type == PipelineEventTypes.Failed).Select(e => e.Recording));

        Assert.Equal(8, h.AnalyzedRecordings.Count);
        Assert.Equal(8, report.JobsSucceeded);
        Assert.Empty(await ListDecodedAsync(h));

        // The same uploads again (new ETags, same bytes): no inference, results untouched, no new events.
        var before = blobs.Where(b => b.Key.EndsWith(ResultSchema.Files.Result, StringComparison.Ordinal)).ToDictionary(b => b.Key, b => b.Value.Properties.ETag);
        await h.UploadAsync("inbox/call1.mp3", media.Speech(1, "mp3"));
        await h.UploadAsync("inbox/batch.zip", media.Zip("batch.zip", 5, 6, 7));
        var second = await h.RunWorkerOnceAsync();
        Assert.Equal(2, second.UploadsProcessed);
        Assert.Equal(8, h.AnalyzedRecordings.Count);
        var after = (await h.ListResultsAsync()).Where(b => b.Key.EndsWith(ResultSchema.Files.Result, StringComparison.Ordinal)).ToDictionary(b => b.Key, b => b.Value.Properties.ETag);
        Assert.Equal(before, after);
        Assert.Empty(await h.DrainEventsAsync());

        // A restarted worker (new process, same storage) does not redo anything either.
        await using var restarted = await PipelineHarness.CreateAsync(prefix: h.Prefix);
        var third = await restarted.RunWorkerOnceAsync();
        Assert.Equal(0, third.UploadsProcessed);
        Assert.Empty(restarted.AnalyzedRecordings);
    }

    private static async Task<List<string>> ListDecodedAsync(PipelineHarness h)
    {
        var names = new List<string>();
        await foreach (var b in h.Storage.Decoded.GetBlobsAsync()) names.Add(b.Name);
        return names;
    }
}
