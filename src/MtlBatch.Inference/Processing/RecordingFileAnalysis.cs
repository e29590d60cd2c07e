using Microsoft.Extensions.Logging;
using MtlBatch.Audio;
using MtlBatch.Core;

namespace MtlBatch.Inference.Processing;

/// <summary>
/// One recording file through the analyzer: probe, hash, then mixed or per-channel analysis as the options say. The one path
/// that <c>mtlbatch analyze</c> (<see cref="Batch.BatchAnalysisRunner"/>) and the public <see cref="SpeechProcessor"/> share.
/// </summary>
internal static class RecordingFileAnalysis
{
    public static async Task<(AnalysisResult Result, MediaInfo Media)> AnalyzeAsync(SpeechAnalyzer analyzer, AudioDecoder decoder, string path, string name,
        AnalysisOptions options, IProgress<double>? progress, ILogger logger, CancellationToken cancellationToken)
    {
        var media = await decoder.ProbeAsync(path, cancellationToken).ConfigureAwait(false);
        var sha = await Sha256.OfFileAsync(path, cancellationToken).ConfigureAwait(false);
        var recording = media.ToRecordingInfo(name, sha);
        if (options.Channels == ChannelMode.Split && media.Channels > 1)
        {
            var channels = Enumerable.Range(0, media.Channels)
                .Select(c => (Func<CancellationToken, IAsyncEnumerable<float[]>>)(ct => decoder.DecodeAsync(media, c, ct))).ToList();
            return (await analyzer.AnalyzeChannelsAsync(channels, recording, options, progress, null, cancellationToken).ConfigureAwait(false), media);
        }
        if (options.Channels == ChannelMode.Split)
            logger.LogWarning("{Recording} has {Channels} channel(s); split channels need two or more, analysing it mixed{RolesNote}", name,
                media.Channels, options.ChannelRoles.Count > 0 ? " without channel roles" : "");
        return (await analyzer.AnalyzeAsync(decoder.DecodeAsync(media, null, cancellationToken), recording, options, progress, cancellationToken).ConfigureAwait(false),
            media);
    }
}
