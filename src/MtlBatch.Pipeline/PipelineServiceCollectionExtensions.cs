using MtlBatch.Inference;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using MtlBatch.Audio;
using MtlBatch.Core;
using MtlBatch.Inference.Voices;

namespace MtlBatch.Pipeline;

/// <summary>One registration shared by the Functions app and the local worker, so both run the same handlers.</summary>
public static class PipelineServiceCollectionExtensions
{
    /// <summary>
    /// Registers the pipeline: options (sections <see cref="PipelineOptions.SectionName"/>, <see cref="StorageOptions.SectionName"/>,
    /// <see cref="ReprocessOptions.SectionName"/>, <see cref="EventsOptions.SectionName"/>, <see cref="ResilienceOptions.SectionName"/>,
    /// <see cref="WorkerOptions.SectionName"/>, <see cref="AnalysisOptions.SectionName"/>, <see cref="RecordingFeatureOptions.SectionName"/>, <see cref="InputLimits.SectionName"/>,
    /// <see cref="AudioDecoderOptions.SectionName"/>, <see cref="ArchiveExpanderOptions.SectionName"/>, <see cref="VoiceprintStoreOptions.SectionName"/>), storage clients,
    /// resilience pipelines, the audio and model services and the handlers. Services registered before this call win
    /// (e.g. a test's <see cref="ISpeechAnalyzerSource"/> or <see cref="IResiliencePipelineHook"/>).
    /// </summary>
    public static IServiceCollection AddMtlBatchPipeline(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        // Validated at start-up (ValidateOnStart: the Functions host; mtlbatch worker calls PipelineOptionsValidation.ValidateAll).
        services.AddOptions<PipelineOptions>().Bind(configuration.GetSection(PipelineOptions.SectionName)).ValidateOnStart();
        services.AddOptions<StorageOptions>().Bind(configuration.GetSection(StorageOptions.SectionName));
        services.AddOptions<ReprocessOptions>().Bind(configuration.GetSection(ReprocessOptions.SectionName)).ValidateOnStart();
        services.AddOptions<EventsOptions>().Bind(configuration.GetSection(EventsOptions.SectionName));
        services.AddOptions<ResilienceOptions>().Bind(configuration.GetSection(ResilienceOptions.SectionName)).ValidateOnStart();
        services.AddOptions<WorkerOptions>().Bind(configuration.GetSection(WorkerOptions.SectionName)).ValidateOnStart();
        services.AddOptions<AnalysisOptions>().Bind(configuration.GetSection(AnalysisOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PipelineOptions>, PipelineOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ResilienceOptions>, ResilienceOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<WorkerOptions>, WorkerOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ReprocessOptions>, ReprocessOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AnalysisOptions>, AnalysisOptionsValidator>());
        services.AddOptions<RecordingFeatureOptions>().Bind(configuration.GetSection(RecordingFeatureOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RecordingFeatureOptions>, RecordingFeatureOptionsValidator>());
        services.AddOptions<PostProcessingOptions>().Bind(configuration.GetSection(PostProcessingOptions.SectionName))
            .Validate(o => { o.Transcription.Validate(); o.Diarization.Validate(); return true; }).ValidateOnStart();
        // Voiceprints (docs/voiceprints.md): one section for the store switch and the identification threshold.
        services.AddOptions<VoiceprintStoreOptions>().Bind(configuration.GetSection(VoiceprintStoreOptions.SectionName)).ValidateOnStart();
        services.AddOptions<VoiceIdentificationOptions>().Bind(configuration.GetSection(VoiceIdentificationOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<VoiceprintStoreOptions>, VoiceprintStoreOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<VoiceIdentificationOptions>, VoiceIdentificationOptionsValidator>());
        services.AddOptions<InputLimits>().Bind(configuration.GetSection(InputLimits.SectionName));
        services.AddOptions<AudioDecoderOptions>().Bind(configuration.GetSection(AudioDecoderOptions.SectionName));
        services.AddOptions<ArchiveExpanderOptions>().Bind(configuration.GetSection(ArchiveExpanderOptions.SectionName));

        services.AddLogging();
        services.AddHttpClient(CompletionEventPublisher.WebhookClientName, c => c.Timeout = TimeSpan.FromSeconds(30));
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => PipelineStorage.Create(sp.GetRequiredService<IOptions<StorageOptions>>().Value, configuration));
        services.TryAddSingleton<ResiliencePipelines>();
        services.TryAddSingleton<ISpeechAnalyzerSource, ModelAnalyzerSource>();
        services.TryAddSingleton<ModelVersionProvider>();
        services.TryAddSingleton<AudioDecoder>();
        services.TryAddSingleton<ArchiveExpander>();
        services.TryAddSingleton<RecordingMedia>();
        services.TryAddSingleton<JobLedger>();
        services.TryAddSingleton<ResultStore>();
        services.TryAddSingleton<CompletionEventPublisher>();
        services.TryAddSingleton<FailureRecorder>();
        services.TryAddSingleton<RecordingIntakeHandler>();
        services.TryAddSingleton<PipelineVoices>();
        services.TryAddSingleton<InferenceJobHandler>();
        services.TryAddSingleton<PoisonJobHandler>();
        services.TryAddSingleton<ReprocessScheduler>();
        services.TryAddSingleton<JobQueryService>();
        services.TryAddSingleton<PipelineApi>();
        services.TryAddSingleton<SubmissionService>();
        services.TryAddSingleton<ResultDownloader>();
        services.TryAddSingleton<CompletionEventFeed>();
        services.TryAddSingleton<PipelineWorker>();
        return services;
    }
}
