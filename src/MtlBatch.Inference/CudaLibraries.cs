using System.Runtime.InteropServices;

namespace MtlBatch.Inference;

/// <summary>
/// Whether the native libraries that ONNX Runtime's CUDA provider links against can be loaded. Probed before the provider is
/// appended: without them ONNX Runtime prints a red native error (<c>provider_bridge_ort.cc ... cannot open shared object
/// file</c>) on every CPU-only machine before our own fallback runs.
/// </summary>
internal static class CudaLibraries
{
    /// <summary>
    /// The CUDA libraries <c>libonnxruntime_providers_cuda.so</c> of Microsoft.ML.OnnxRuntime.Gpu 1.31 needs (its ELF NEEDED
    /// entries besides libc/libstdc++): the driver, the CUDA 13 runtime, cuBLAS/cuBLASLt and cuRAND.
    /// </summary>
    public static IReadOnlyList<string> Required { get; } =
        ["libcuda.so.1", "libcudart.so.13", "libcublas.so.13", "libcublasLt.so.13", "libcurand.so.10"];

    /// <summary>
    /// The <see cref="Required"/> libraries the dynamic loader cannot find (empty when all load, and on other systems than
    /// Linux, where ONNX Runtime's own attempt decides). Libraries that load stay loaded: the provider loads them next anyway.
    /// </summary>
    public static IReadOnlyList<string> FindMissing()
    {
        if (!OperatingSystem.IsLinux()) return [];
        return Required.Where(name => !NativeLibrary.TryLoad(name, out _)).ToList();
    }
}
