using System.Diagnostics;
using System.Text;

namespace MtlBatch.Corpus;

public sealed record ProcessOutput(string StandardOutput, string StandardError);

/// <summary>Runs the synthesis and audio tools (espeak-ng, flite, text2wave, sox, ffmpeg) with arguments passed as a list.</summary>
public sealed class ProcessRunner
{
    public async Task<ProcessOutput> RunAsync(string fileName, IEnumerable<string> arguments, CancellationToken cancellationToken, string? standardInput = null)
    {
        var psi = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = standardInput is not null,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
        };
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"Could not start {fileName}.");
        if (standardInput is not null)
        {
            await process.StandardInput.WriteAsync(standardInput.AsMemory(), cancellationToken).ConfigureAwait(false);
            process.StandardInput.Close();
        }
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        var output = new ProcessOutput(await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{fileName} exited with {process.ExitCode}: {output.StandardError.Trim()}");
        return output;
    }
}
