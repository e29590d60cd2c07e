using System.Diagnostics;

namespace MtlBatch.Corpus.Import;

/// <summary>One file of a source repository: its path inside the repository and its size in bytes.</summary>
public sealed record SourceFile(string Path, long Size);

/// <summary>
/// A data repository to import from: a checkout (a plain folder) or a bare git directory (the snapshot the search
/// tool's fetch verb brings; <c>git ls-tree</c> / <c>git cat-file</c>). In a partial snapshot some listed blobs are
/// absent (files of 4 MiB or more): <see cref="TryExtractAsync"/> returns false for them and the importers count them.
/// </summary>
public abstract class SourceTree
{
    public abstract string Location { get; }

    /// <summary>Every file, with paths relative to the repository root and '/' as separator.</summary>
    public abstract Task<IReadOnlyList<SourceFile>> ListAsync(CancellationToken cancellationToken);

    /// <summary>Copies one file to <paramref name="destination"/>; false when it is absent from this snapshot.</summary>
    public abstract Task<bool> TryExtractAsync(string path, string destination, CancellationToken cancellationToken);

    /// <summary>The text of one file, or null when it is absent.</summary>
    public async Task<string?> ReadTextAsync(string path, CancellationToken cancellationToken)
    {
        var temp = System.IO.Path.GetTempFileName();
        try
        {
            return await TryExtractAsync(path, temp, cancellationToken).ConfigureAwait(false)
                ? await File.ReadAllTextAsync(temp, cancellationToken).ConfigureAwait(false)
                : null;
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>A bare git directory (has HEAD and objects/) or a folder.</summary>
    public static SourceTree Open(string location)
    {
        if (!Directory.Exists(location)) throw new DirectoryNotFoundException($"Source {location} does not exist.");
        var isBare = File.Exists(System.IO.Path.Combine(location, "HEAD")) && Directory.Exists(System.IO.Path.Combine(location, "objects"));
        return isBare ? new GitSourceTree(location) : new FolderSourceTree(location);
    }
}

internal sealed class FolderSourceTree(string root) : SourceTree
{
    public override string Location => root;

    public override Task<IReadOnlyList<SourceFile>> ListAsync(CancellationToken cancellationToken)
    {
        var files = Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{System.IO.Path.DirectorySeparatorChar}.git{System.IO.Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(f => new SourceFile(System.IO.Path.GetRelativePath(root, f).Replace('\\', '/'), new FileInfo(f).Length))
            .OrderBy(f => f.Path, StringComparer.Ordinal)
            .ToList();
        return Task.FromResult<IReadOnlyList<SourceFile>>(files);
    }

    public override async Task<bool> TryExtractAsync(string path, string destination, CancellationToken cancellationToken)
    {
        var full = System.IO.Path.GetFullPath(System.IO.Path.Combine(root, path));
        if (!full.StartsWith(System.IO.Path.GetFullPath(root), StringComparison.Ordinal) || !File.Exists(full)) return false;
        await using var source = File.OpenRead(full);
        await using var target = File.Create(destination);
        await source.CopyToAsync(target, cancellationToken).ConfigureAwait(false);
        return true;
    }
}

internal sealed class GitSourceTree(string gitDir) : SourceTree
{
    public override string Location => gitDir;

    public override async Task<IReadOnlyList<SourceFile>> ListAsync(CancellationToken cancellationToken)
    {
        // -z: paths with non-ASCII characters (the AMI file trñ00.wav) come through unquoted.
        using var process = Start(["ls-tree", "-r", "-l", "-z", "HEAD"]);
        var text = await process.StandardOutput.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"git ls-tree failed in {gitDir}: {await process.StandardError.ReadToEndAsync(cancellationToken).ConfigureAwait(false)}");
        var files = new List<SourceFile>();
        foreach (var record in text.Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            // "<mode> blob <sha> <size>\t<path>"
            var tab = record.IndexOf('\t', StringComparison.Ordinal);
            var meta = record[..tab].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (meta.Length < 4 || meta[1] != "blob") continue;
            files.Add(new SourceFile(record[(tab + 1)..], long.TryParse(meta[3], out var size) ? size : 0));
        }
        return files;
    }

    public override async Task<bool> TryExtractAsync(string path, string destination, CancellationToken cancellationToken)
    {
        using var process = Start(["cat-file", "blob", "HEAD:" + path]);
        await using (var target = File.Create(destination))
            await process.StandardOutput.BaseStream.CopyToAsync(target, cancellationToken).ConfigureAwait(false);
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        if (process.ExitCode == 0) return true;
        File.Delete(destination);
        return false;
    }

    private Process Start(IEnumerable<string> arguments)
    {
        var psi = new ProcessStartInfo("git") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("--git-dir=" + gitDir);
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        return Process.Start(psi) ?? throw new InvalidOperationException("Could not start git.");
    }
}
