using System.ComponentModel;
using Microsoft.Extensions.Logging;
using MtlBatch.Corpus;

namespace MtlBatch.Evaluation;

/// <summary>Another speech recogniser run on exactly the files the model is scored on (the "peer" column of <c>mtlbatch eval</c>).</summary>
public interface IAsrPeer
{
    /// <summary>Short name for tables and JSON (e.g. "pocketsphinx").</summary>
    string Name { get; }

    /// <summary>Transcribes one 16 kHz mono WAV file; the raw text is normalised by the caller with <see cref="ScoringText"/>.</summary>
    Task<string> TranscribeAsync(string wavPath, CancellationToken cancellationToken);
}

public sealed class PocketSphinxOptions
{
    public const string SectionName = "Evaluation:PocketSphinx";

    /// <summary>The Debian package <c>pocketsphinx</c> installs it; the acoustic model and LM come from <c>pocketsphinx-en-us</c>.</summary>
    public string Executable { get; set; } = "pocketsphinx_continuous";

    /// <summary>Extra arguments (e.g. <c>-hmm DIR -lm FILE -dict FILE</c> for another model); the default uses the installed en-us model.</summary>
    public IList<string> ExtraArguments { get; } = [];
}

/// <summary>
/// Debian 12's pocketsphinx 5prealpha: <c>pocketsphinx_continuous -infile F.wav</c> decodes a 16 kHz mono file and prints
/// one hypothesis line per detected utterance on stdout (logs go to stderr).
/// </summary>
public sealed class PocketSphinxPeer(PocketSphinxOptions options, ProcessRunner runner, ILogger<PocketSphinxPeer> logger) : IAsrPeer
{
    public const string PeerName = "pocketsphinx";
    public string Name => PeerName;

    public async Task<string> TranscribeAsync(string wavPath, CancellationToken cancellationToken)
    {
        ProcessOutput output;
        try
        {
            output = await runner.RunAsync(options.Executable, ["-infile", wavPath, .. options.ExtraArguments], cancellationToken).ConfigureAwait(false);
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException(
                $"The peer recogniser '{options.Executable}' could not be started ({e.Message}): install the Debian packages pocketsphinx and pocketsphinx-en-us " +
                "(apt-get install pocketsphinx pocketsphinx-en-us; scripts/bootstrap.sh installs them in the dev profile).", e);
        }
        catch (InvalidOperationException e) when (e.Message.Contains("acoustic model", StringComparison.OrdinalIgnoreCase)
            || e.Message.Contains("/model/en-us", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"pocketsphinx found no en-us model: install the Debian package pocketsphinx-en-us. {e.Message}", e);
        }
        var lines = output.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var hypothesis = string.Join(' ', lines);
        logger.LogDebug("pocketsphinx {File}: {Hypothesis}", Path.GetFileName(wavPath), hypothesis);
        return hypothesis;
    }
}

/// <summary>The peers <c>mtlbatch eval --peer NAME</c> knows.</summary>
public static class AsrPeers
{
    public static IReadOnlyList<string> Names { get; } = [PocketSphinxPeer.PeerName];

    public static IAsrPeer Create(string name, ILoggerFactory loggerFactory, PocketSphinxOptions? pocketSphinx = null) => name switch
    {
        PocketSphinxPeer.PeerName => new PocketSphinxPeer(pocketSphinx ?? new PocketSphinxOptions(), new ProcessRunner(), loggerFactory.CreateLogger<PocketSphinxPeer>()),
        _ => throw new ArgumentException($"Unknown peer '{name}'; known: {string.Join(", ", Names)}.", nameof(name)),
    };
}
