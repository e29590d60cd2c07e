using System.Diagnostics;

namespace MtlBatch.Reports.Tests;

/// <summary>Runs Debian's headless Chromium against a local file: screenshots and the DOM after scripts ran.</summary>
internal sealed class Chromium(string executable)
{
    public string Executable { get; } = executable;

    /// <summary>The Chromium binary (CHROMIUM_PATH, then the usual names on PATH), or null when none is installed.</summary>
    public static Chromium? Find()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("CHROMIUM_PATH");
        if (!string.IsNullOrEmpty(fromEnvironment) && File.Exists(fromEnvironment)) return new Chromium(fromEnvironment);
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var name in new[] { "chromium", "chromium-browser", "google-chrome", "google-chrome-stable" })
            foreach (var dir in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).Append("/usr/bin"))
            {
                var candidate = Path.Combine(dir, name);
                if (File.Exists(candidate)) return new Chromium(candidate);
            }
        return null;
    }

    public async Task<ChromiumRun> ScreenshotAsync(string htmlPath, string pngPath, int width, int height, CancellationToken cancellationToken) =>
        await RunAsync([$"--screenshot={pngPath}", $"--window-size={width},{height}", "--hide-scrollbars", "--virtual-time-budget=3000", FileUrl(htmlPath)], cancellationToken)
            .ConfigureAwait(false);

    /// <summary>The serialised DOM once the page's inline script has run (virtual time lets timers and scripts finish).</summary>
    public async Task<ChromiumRun> DumpDomAsync(string htmlPath, CancellationToken cancellationToken) =>
        await RunAsync(["--dump-dom", "--virtual-time-budget=3000", "--window-size=1400,1000", FileUrl(htmlPath)], cancellationToken).ConfigureAwait(false);

    private static string FileUrl(string path) => new Uri(Path.GetFullPath(path)).AbsoluteUri;

    private async Task<ChromiumRun> RunAsync(IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var profile = Path.Combine(Path.GetTempPath(), "mtlbatch-chromium-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(profile);
        var start = new ProcessStartInfo(Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[]
                 {
                     "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--disable-extensions", "--enable-logging=stderr", "--v=0",
                     $"--user-data-dir={profile}",
                 }.Concat(arguments))
            start.ArgumentList.Add(a);
        try
        {
            using var process = Process.Start(start) ?? throw new InvalidOperationException("chromium did not start");
            var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(90));
            try
            {
                await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw;
            }
            return new ChromiumRun(process.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
        }
        finally
        {
            try { Directory.Delete(profile, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}

internal sealed record ChromiumRun(int ExitCode, string Stdout, string Stderr);
