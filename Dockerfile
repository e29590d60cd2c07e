# syntax=docker/dockerfile:1
# GPU inference image: the MtlBatch.Functions app on the Azure Functions .NET isolated base image, plus the CUDA 13 /
# cuDNN 9 runtime libraries ONNX Runtime GPU needs, ffmpeg, and the bundled model. Runs on Azure Container Apps
# serverless GPUs (infra/modules/inference.bicep); the NVIDIA driver comes from the host.
#
# NOT BUILT IN THIS REPOSITORY'S CI: the CI machine has no Docker engine and no registry access. Build it in Azure with
#   az acr build --registry <registry> --image mtlbatch-functions:<tag> .
# (docs/deploy.md). tests/MtlBatch.Infra.Tests checks what it can without building: pinned base images, COPY sources
# that exist, and the ONNX Runtime version below against Directory.Packages.props.

# Exact tags (no floating "latest"). Digests cannot be resolved from here; pin them with
#   az acr import ... && az acr repository show --image ... (docs/deploy.md, "Pinning the base images").
ARG SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:10.0.100
ARG FUNCTIONS_IMAGE=mcr.microsoft.com/azure-functions/dotnet-isolated:4-dotnet-isolated10.0

FROM ${SDK_IMAGE} AS build
WORKDIR /src
COPY . .
RUN dotnet publish src/MtlBatch.Functions/MtlBatch.Functions.csproj -c Release -o /home/site/wwwroot --nologo

FROM ${FUNCTIONS_IMAGE}
# ONNX Runtime GPU 1.31 (Microsoft.ML.OnnxRuntime.Gpu in Directory.Packages.props) is built against CUDA 13 and
# cuDNN 9: its CUDA provider loads libcudart.so.13, libcublas.so.13, libcublasLt.so.13, libcufft.so.12,
# libcurand.so.10 and libcudnn*.so.9. Only these runtime libraries are installed (no toolkit, no compiler).
ARG ONNXRUNTIME_GPU_VERSION=1.31.0
ARG CUDA_SERIES=13-0
ARG CUDNN_VERSION=9.20.0.48-1
RUN set -eux; \
    apt-get update; \
    apt-get install -y --no-install-recommends ca-certificates curl gnupg ffmpeg; \
    . /etc/os-release; repo="${ID}${VERSION_ID%%.*}"; [ "$ID" = ubuntu ] && repo="ubuntu$(echo "$VERSION_ID" | tr -d .)"; \
    curl -fsSL -o /tmp/cuda-keyring.deb "https://developer.download.nvidia.com/compute/cuda/repos/${repo}/x86_64/cuda-keyring_1.1-1_all.deb"; \
    dpkg -i /tmp/cuda-keyring.deb; rm /tmp/cuda-keyring.deb; \
    apt-get update; \
    apt-get install -y --no-install-recommends \
        cuda-cudart-${CUDA_SERIES} libcublas-${CUDA_SERIES} libcufft-${CUDA_SERIES} libcurand-${CUDA_SERIES} \
        libcudnn9-cuda-13=${CUDNN_VERSION}; \
    apt-get purge -y --auto-remove curl gnupg; \
    rm -rf /var/lib/apt/lists/*
ENV LD_LIBRARY_PATH=/usr/local/cuda/lib64:/usr/local/cuda-13.0/lib64 \
    NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility \
    AzureWebJobsScriptRoot=/home/site/wwwroot \
    AzureFunctionsJobHost__Logging__Console__IsEnabled=true

COPY --from=build /home/site/wwwroot /home/site/wwwroot
# The bundled model, at the path infra/main.bicep gives the inference app (Analysis__ModelPath).
COPY models/mtl-small.onnx /home/site/wwwroot/models/mtl-small.onnx
