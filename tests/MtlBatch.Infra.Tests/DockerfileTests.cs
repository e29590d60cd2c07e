using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace MtlBatch.Infra.Tests;

/// <summary>
/// The GPU image cannot be built here (no Docker engine); these checks catch what goes stale without a build:
/// floating base images, COPY sources that no longer exist, and an ONNX Runtime bump without a CUDA review.
/// </summary>
public sealed partial class DockerfileTests
{
    private static readonly string[] Lines = File.ReadAllLines(RepositoryLayout.Dockerfile);

    [Fact]
    public void Base_images_are_pinned_to_exact_tags_or_digests()
    {
        var images = Lines.Select(l => BaseImageArg().Match(l)).Where(m => m.Success).Select(m => m.Groups["image"].Value).ToArray();
        Assert.NotEmpty(images);
        foreach (var image in images)
        {
            var pinned = image.Contains("@sha256:", StringComparison.Ordinal) || ExactTag().IsMatch(image);
            Assert.True(pinned, $"{image} is not pinned to a tag or digest");
            Assert.DoesNotContain(":latest", image, StringComparison.Ordinal);
        }
        // Every FROM uses one of those pinned arguments or a previous stage.
        var froms = Lines.Where(l => l.StartsWith("FROM ", StringComparison.Ordinal)).ToArray();
        Assert.All(froms, f => Assert.Matches(@"^FROM \$\{[A-Z_]+_IMAGE\}( AS \w+)?$", f));
    }

    [Fact]
    public void Files_copied_from_the_repository_exist()
    {
        var sources = Lines.Where(l => l.StartsWith("COPY ", StringComparison.Ordinal) && !l.Contains("--from=", StringComparison.Ordinal))
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1])
            .ToArray();
        Assert.NotEmpty(sources);
        foreach (var source in sources)
        {
            var path = Path.Combine(RepositoryLayout.Root, source);
            Assert.True(source == "." || File.Exists(path) || Directory.Exists(path), $"COPY source {source} does not exist");
        }
    }

    [Fact]
    public void Cuda_libraries_were_chosen_for_the_onnx_runtime_version_the_code_uses()
    {
        var props = XDocument.Load(Path.Combine(RepositoryLayout.Root, "Directory.Packages.props"));
        var version = props.Descendants("PackageVersion")
            .Single(e => (string?)e.Attribute("Include") == "Microsoft.ML.OnnxRuntime.Gpu")
            .Attribute("Version")!.Value;
        var declared = Lines.Select(l => OnnxRuntimeArg().Match(l)).Single(m => m.Success).Groups["version"].Value;
        Assert.True(version == declared,
            $"Directory.Packages.props has ONNX Runtime GPU {version}, the Dockerfile's CUDA/cuDNN libraries were chosen for {declared}: check its CUDA requirements and update both.");
    }

    [GeneratedRegex(@"^ARG [A-Z_]+_IMAGE=(?<image>\S+)$")]
    private static partial Regex BaseImageArg();

    [GeneratedRegex(@":[0-9][0-9A-Za-z.\-]*$")]
    private static partial Regex ExactTag();

    [GeneratedRegex(@"^ARG ONNXRUNTIME_GPU_VERSION=(?<version>\S+)$")]
    private static partial Regex OnnxRuntimeArg();
}
