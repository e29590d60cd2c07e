using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace MtlBatch.Pipeline;

/// <summary>
/// Traces and metrics of the pipeline, under one name (<see cref="Name"/>) for both the <see cref="ActivitySource"/> and the
/// <see cref="Meter"/>: the Functions app exports them to Application Insights (OpenTelemetry + Azure Monitor), and any
/// OpenTelemetry or <c>dotnet-counters monitor --counters MtlBatch.Pipeline</c> listener can read them from the local worker.
/// </summary>
/// <remarks>
/// Instruments: <c>mtlbatch.stage.duration</c> (s; tag <c>stage</c> = intake, decode, inference, write), <c>mtlbatch.queue.age</c>
/// (s from enqueue to the start of work; tag <c>queue</c>), <c>mtlbatch.jobs</c> (finished jobs; tag <c>outcome</c> =
/// succeeded, failed), <c>mtlbatch.failures</c> (tags <c>code</c> = the stable error code, <c>stage</c> = intake, inference, poison), <c>mtlbatch.audio.duration</c>
/// (s of audio analysed). Activities: <c>intake</c>, <c>inference</c>, with the recording, job id and model version as tags.
/// </remarks>
public static class PipelineTelemetry
{
    public const string Name = "MtlBatch.Pipeline";

    public static readonly ActivitySource ActivitySource = new(Name);
    public static readonly Meter Meter = new(Name);

    public static readonly Histogram<double> StageDuration =
        Meter.CreateHistogram<double>("mtlbatch.stage.duration", "s", "Time spent in one pipeline stage for one upload or job.");
    public static readonly Histogram<double> QueueAge =
        Meter.CreateHistogram<double>("mtlbatch.queue.age", "s", "Time a message waited in its queue before work on it started.");
    public static readonly Counter<long> Jobs = Meter.CreateCounter<long>("mtlbatch.jobs", "{job}", "Inference jobs finished, by outcome.");
    public static readonly Counter<long> Failures = Meter.CreateCounter<long>("mtlbatch.failures", "{failure}", "Recorded failures, by error code and stage.");
    public static readonly Histogram<double> AudioDuration =
        Meter.CreateHistogram<double>("mtlbatch.audio.duration", "s", "Duration of the audio of each analysed recording.");

    public const string StageIntake = "intake";
    public const string StageDecode = "decode";
    public const string StageInference = "inference";
    public const string StageWrite = "write";

    public static void RecordStage(string stage, TimeSpan elapsed) =>
        StageDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("stage", stage));

    public static void RecordQueueAge(string queue, DateTimeOffset enqueuedAt, DateTimeOffset now) =>
        QueueAge.Record(Math.Max(0, (now - enqueuedAt).TotalSeconds), new KeyValuePair<string, object?>("queue", queue));

    /// <summary>A recorded failure (<see cref="FailureRecorder"/>): counted by code and stage; at inference or poison also a failed job.</summary>
    public static void RecordFailure(string code, FailureStage stage)
    {
        var name = stage switch { FailureStage.Intake => StageIntake, FailureStage.Poison => "poison", _ => StageInference };
        Failures.Add(1, new KeyValuePair<string, object?>("code", code), new KeyValuePair<string, object?>("stage", name));
        if (stage != FailureStage.Intake) Jobs.Add(1, new KeyValuePair<string, object?>("outcome", "failed"));
        Activity.Current?.SetStatus(ActivityStatusCode.Error, code);
    }

    public static void RecordSuccess(double audioSeconds)
    {
        Jobs.Add(1, new KeyValuePair<string, object?>("outcome", "succeeded"));
        AudioDuration.Record(audioSeconds);
    }
}
