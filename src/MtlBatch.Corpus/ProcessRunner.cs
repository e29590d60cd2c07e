using System.Diagnostics;
using System.Text;

namespace MtlBatch.Corpus;

public sealed record ProcessOutput(string StandardOutput, string StandardError);

/// <summary>Runs the synthesis and audio tools (espeak-ng, flite, text2wave, sox, ffmpeg) with arguments passed as a list.</summary>
public sealed class ProcessRunner
{
    public async Task<ProcessOutput> RunAsync(string fileName, IEnumerable<string> arguments, CancellationToken cancellationToken, string? standardInput = null)
    {
        var (stdout, stderr) = await RunAsync(fileName, arguments, standardInput, stream => new StreamReader(stream, Encoding.UTF8).ReadToEndAsync(cancellationToken), cancellationToken).ConfigureAwait(false);
        return new ProcessOutput(stdout, stderr);
    }

    /// <summary>Runs a tool whose standard output is binary (<c>git cat-file blob</c> of a zip) and returns those bytes.</summary>
    public async Task<byte[]> RunBinaryAsync(string fileName, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var (stdout, _) = await RunAsync(fileName, arguments, null, async stream =>
        {
            using var buffer = new MemoryStream();
            await stream.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
            return buffer.ToArray();
        }, cancellationToken).ConfigureAwait(false);
        return stdout;
    }

    private static async Task<(T StandardOutput, string StandardError)> RunAsync<T>(string fileName, IEnumerable<string> arguments, string? standardInput,
        Func<Stream, Task<T>> readOutput, CancellationToken cancellationToken)
    {
        var psi = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = standardInput is not null,
            UseShellExecute = false,
        };
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"Could not start {fileName}.");
        if (standardInput is not null)
        {
            await process.StandardInput.WriteAsync(standardInput.AsMemory(), cancellationToken).ConfigureAwait(false);
            process.StandardInput.Close();
        }
        var stdout = readOutput(process.StandardOutput.BaseStream);
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
        var (output, error) = (await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{fileName} exited with {process.ExitCode}: {error.Trim()}");
        return (output, error);
    }
}
