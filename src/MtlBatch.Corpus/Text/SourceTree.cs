namespace MtlBatch.Corpus.Text;

/// <summary>A file tree a text source is read from: a plain folder, or a bare git repository (read at HEAD).</summary>
public interface ISourceTree
{
    /// <summary>Where the tree is (for logs and ids).</summary>
    string Location { get; }

    /// <summary>Relative paths with '/' separators, ordinal order.</summary>
    Task<IReadOnlyList<string>> ListAsync(CancellationToken cancellationToken);

    /// <summary>The file's text, or null when the tree lists it but does not hold its content (absent large files).</summary>
    Task<string?> ReadAsync(string path, CancellationToken cancellationToken);

    /// <summary>The file's bytes (an archive such as nltk_data's <c>switchboard.zip</c>), or null like <see cref="ReadAsync"/>.</summary>
    Task<byte[]?> ReadBytesAsync(string path, CancellationToken cancellationToken);
}

public static class SourceTrees
{
    /// <summary>A bare git directory (HEAD and objects/ inside, or a <c>repo</c> folder that is one) or a plain folder.</summary>
    public static ISourceTree Open(string folder, ProcessRunner runner)
    {
        var full = Path.GetFullPath(folder);
        static bool IsBareGit(string f) => File.Exists(Path.Combine(f, "HEAD")) && Directory.Exists(Path.Combine(f, "objects"));
        if (IsBareGit(full)) return new GitTree(full, runner);
        var inner = Path.Combine(full, "repo");
        if (IsBareGit(inner)) return new GitTree(inner, runner);
        if (!Directory.Exists(full)) throw new DirectoryNotFoundException($"Text source '{folder}' does not exist.");
        return new DirectoryTree(full);
    }
}

public sealed class DirectoryTree(string root) : ISourceTree
{
    public string Location => root;

    public Task<IReadOnlyList<string>> ListAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<string>>([.. Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(root, p).Replace('\\', '/')).Order(StringComparer.Ordinal)]);

    public async Task<string?> ReadAsync(string path, CancellationToken cancellationToken) =>
        await File.ReadAllTextAsync(Path.Combine(root, path), cancellationToken).ConfigureAwait(false);

    public async Task<byte[]?> ReadBytesAsync(string path, CancellationToken cancellationToken) =>
        await File.ReadAllBytesAsync(Path.Combine(root, path), cancellationToken).ConfigureAwait(false);
}

/// <summary>A bare git repository read with <c>git ls-tree</c> and <c>git show HEAD:path</c>; no work tree needed.</summary>
public sealed class GitTree(string gitDir, ProcessRunner runner) : ISourceTree
{
    public string Location => gitDir;

    public async Task<IReadOnlyList<string>> ListAsync(CancellationToken cancellationToken)
    {
        var output = await runner.RunAsync("git", ["--git-dir=" + gitDir, "ls-tree", "-r", "--name-only", "-z", "HEAD"], cancellationToken).ConfigureAwait(false);
        return [.. output.StandardOutput.Split('\0', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal)];
    }

    public async Task<string?> ReadAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            return (await runner.RunAsync("git", ["--git-dir=" + gitDir, "show", "HEAD:" + path], cancellationToken).ConfigureAwait(false)).StandardOutput;
        }
        catch (InvalidOperationException)
        {
            // Listed in the tree, content not in this clone (partial mirrors leave large blobs out).
            return null;
        }
    }

    public async Task<byte[]?> ReadBytesAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            return await runner.RunBinaryAsync("git", ["--git-dir=" + gitDir, "cat-file", "blob", "HEAD:" + path], cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }
}
