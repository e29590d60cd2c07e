using System.Diagnostics;
using System.Reflection;

namespace MtlBatch.Infra.Tests;

/// <summary>
/// Runs the bicep binary restored from the Azure.Bicep.CommandLine.linux-x64 NuGet package. Its path is stamped into
/// this assembly at build time (GeneratePathProperty in the csproj), so a fresh clone needs nothing but a restore.
/// </summary>
internal static class BicepCli
{
    public sealed record Result(int ExitCode, string StandardOutput, string StandardError);

    public static string ExecutablePath { get; } = Locate();

    public static async Task<Result> RunAsync(IEnumerable<string> arguments, string workingDirectory, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(ExecutablePath)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        // Keep bicep from phoning home or prompting; the linter must work offline.
        start.Environment["BICEP_TELEMETRY_ENABLED"] = "false";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {ExecutablePath}");
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
        return new Result(process.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
    }

    private static string Locate()
    {
        var path = typeof(BicepCli).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .SingleOrDefault(a => a.Key == "BicepPath")?.Value;
        if (string.IsNullOrEmpty(path) || path.StartsWith("/tools/", StringComparison.Ordinal) || !File.Exists(path))
            throw new InvalidOperationException(
                $"bicep not found at '{path}': restore tests/MtlBatch.Infra.Tests (package Azure.Bicep.CommandLine.linux-x64).");
        if (!OperatingSystem.IsWindows())
        {
            // NuGet keeps the package's file modes, but an extracted cache copied between machines may lose the x bit.
            var mode = File.GetUnixFileMode(path);
            if ((mode & UnixFileMode.UserExecute) == 0) File.SetUnixFileMode(path, mode | UnixFileMode.UserExecute);
        }
        return path;
    }
}
