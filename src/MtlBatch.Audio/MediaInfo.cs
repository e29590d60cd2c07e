using MtlBatch.Core;

namespace MtlBatch.Audio;

/// <summary>
/// What ffprobe found in an input that <see cref="AudioDecoder.ProbeAsync"/> accepted. A probed input always has
/// an audio stream, a positive duration within the limits and an allowed container format.
/// </summary>
public sealed record MediaInfo
{
    /// <summary>Full path of the probed file.</summary>
    public required string Path { get; init; }
    public required long SizeBytes { get; init; }
    /// <summary>Duration of the (first) audio stream in seconds, or the container's when the stream has none.</summary>
    public required double DurationSeconds { get; init; }
    /// <summary>Sample rate of the source audio stream before decoding.</summary>
    public required int SampleRate { get; init; }
    /// <summary>Channel count of the source audio stream (valid indices for channel-split decoding are 0..Channels-1).</summary>
    public required int Channels { get; init; }
    /// <summary>ffprobe's container name, e.g. <c>wav</c>, <c>mov,mp4,m4a,3gp,3g2,mj2</c>, <c>matroska,webm</c>.</summary>
    public required string FormatName { get; init; }
    /// <summary>ffprobe's codec name of the audio stream, e.g. <c>pcm_s16le</c>, <c>mp3</c>, <c>aac</c>, <c>opus</c>.</summary>
    public required string Codec { get; init; }
    /// <summary>Number of audio streams; decoding always uses the first one.</summary>
    public required int AudioStreamCount { get; init; }
    /// <summary>True when the file also carries video (e.g. a screen recording); the video is ignored.</summary>
    public required bool HasVideo { get; init; }

    /// <summary>The recording block of the result schema for this input.</summary>
    public RecordingInfo ToRecordingInfo(string name, string sha256) => new()
    {
        Name = name,
        DurationSeconds = DurationSeconds,
        SampleRate = SampleRate,
        Channels = Channels,
        Sha256 = sha256,
    };
}
