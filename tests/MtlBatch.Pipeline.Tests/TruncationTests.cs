using System.Text.Json.Nodes;
using MtlBatch.Core;
using MtlBatch.Reports;

namespace MtlBatch.Pipeline.Tests;

/// <summary>An upload cut short (its container declares more than can be decoded) is analysed, and says so.</summary>
public sealed class TruncationTests
{
    [Fact]
    public async Task A_half_truncated_mp3_gets_an_input_truncated_warning_in_result_json_and_in_its_event()
    {
        // 20 s as MP3 (ffprobe declares 20 s from its Xing header), then the first half of the bytes only: ~10 s decode.
        var bytes = await File.ReadAllBytesAsync(TestMedia.Shared.ToneMp3(20));
        var half = bytes[..(bytes.Length / 2)];

        await using var h = await PipelineHarness.CreateAsync();
        await h.UploadAsync("cut/half.mp3", half);
        await h.UploadAsync("cut/full.mp3", bytes);
        await h.RunWorkerOnceAsync();

        var resultText = await h.ReadResultTextAsync("cut/half.mp3/result.json");
        var validation = ResultValidator.Default.Validate(ResultSchema.Files.Result, resultText);
        Assert.True(validation.IsValid, validation.ToString());
        var result = MtlJson.Deserialize<AnalysisResult>(resultText);
        var warning = Assert.Single(result.Warnings ?? []);
        Assert.Equal(WarningCodes.InputTruncated, warning.Code);
        Assert.InRange(warning.DeclaredDurationSeconds!.Value, 19.5, 20.5);
        Assert.InRange(warning.DecodedDurationSeconds!.Value, 8, 12);
        Assert.InRange(result.Recording.DurationSeconds, 8, 12);

        // The complete file has nothing to report: no warnings field at all.
        var fullResult = JsonNode.Parse(await h.ReadResultTextAsync("cut/full.mp3/result.json"))!.AsObject();
        Assert.False(fullResult.ContainsKey("warnings"));

        var events = (await h.DrainEventsAsync()).ToDictionary(e => e.Recording, StringComparer.Ordinal);
        Assert.Equal(WarningCodes.InputTruncated, Assert.Single(events["cut/half.mp3"].Warnings).Code);
        Assert.Empty(events["cut/full.mp3"].Warnings);
    }
}
