// MtlBatch on Azure: storage, the intake function app (Flex Consumption), GPU inference (Container Apps serverless
// GPU, scaled by the inference queue), monitoring, one user-assigned identity with data-plane roles, and optional
// completion events (Event Grid custom topic, signed webhook with its secret in Key Vault).
// No account keys or connection strings reach app settings: every connection is identity-based.
// Deploying is two `az deployment group create` runs around publishing the code: see docs/deploy.md.

targetScope = 'resourceGroup'

// --- Naming and placement ---------------------------------------------------------------------------------------

@description('Azure region for everything. It must offer Container Apps serverless GPUs and Flex Consumption.')
param location string = resourceGroup().location

@description('Short lowercase name used in every resource name.')
@minLength(2)
@maxLength(10)
param namePrefix string = 'mtlbatch'

@description('Environment name, part of every resource name.')
@allowed(['dev', 'test', 'prod'])
param environmentName string

@description('Tags applied to every resource.')
param tags { *: string } = {}

// --- Storage ----------------------------------------------------------------------------------------------------

@description('Storage replication.')
@allowed(['Standard_LRS', 'Standard_ZRS', 'Standard_GRS', 'Standard_GZRS'])
param storageSku string = 'Standard_LRS'

@description('Days before leftover decoded intermediate audio is deleted by the lifecycle rule.')
@minValue(1)
param decodedRetentionDays int = 7

@description('Days deleted blobs stay recoverable.')
@minValue(1)
@maxValue(365)
param blobSoftDeleteDays int = 7

@description('Days Log Analytics keeps data.')
@minValue(30)
@maxValue(730)
param logRetentionDays int = 30

// --- Intake (Flex Consumption) ----------------------------------------------------------------------------------

@description('.NET isolated worker version of the intake app (the code targets net10.0).')
param functionsRuntimeVersion string = '10.0'

@description('Most intake instances.')
@minValue(40)
@maxValue(1000)
param intakeMaximumInstanceCount int = 100

@description('Memory per intake instance in MB.')
@allowed([512, 2048, 4096])
param intakeInstanceMemoryMB int = 2048

@description('Folder with static ffmpeg/ffprobe binaries inside the intake package (Flex Consumption has no ffmpeg of its own).')
param intakeFfmpegFolder string = '/home/site/wwwroot/ffmpeg'

@description('Subscribe the blob trigger to BlobCreated events. Set true only after the intake code has been published once (docs/deploy.md).')
param subscribeBlobEvents bool = false

// --- GPU inference (Container Apps) -----------------------------------------------------------------------------

@description('Tag of the mtlbatch-functions image in the registry created here. Empty: the GPU app is not deployed yet (first run, before the image is built).')
param inferenceImageTag string = ''

@description('Serverless GPU workload profile: T4 (cheaper, 16 GB) or A100 (faster, 80 GB). Needs GPU quota in the region.')
@allowed(['Consumption-GPU-NC8as-T4', 'Consumption-GPU-NC24-A100'])
param gpuProfileType string = 'Consumption-GPU-NC8as-T4'

@description('GPU replicas kept when the queue is empty (0 = scale to zero).')
@minValue(0)
param inferenceMinReplicas int = 0

@description('Most GPU replicas.')
@minValue(1)
@maxValue(1000)
param inferenceMaxReplicas int = 4

@description('Waiting inference jobs per GPU replica before another replica is added (host.json runs one job at a time per replica).')
@minValue(1)
param inferenceMessagesPerReplica int = 4

@description('Chunks per ONNX Runtime call on the GPU (Analysis:BatchSize).')
@minValue(1)
param gpuBatchSize int = 16

// --- Pipeline behaviour -----------------------------------------------------------------------------------------

@description('Model version override (Pipeline:ModelVersion). Empty: the version stored in the model.')
param modelVersion string = ''

@description('NCRONTAB schedule of the bulk reprocessing timer (Reprocess:Schedule).')
param reprocessSchedule string = '0 0 * * * *'

@description('Reprocessing stops enqueuing while the inference queue is longer than this (Reprocess:MaxQueueLength).')
@minValue(1)
param reprocessMaxQueueLength int = 500

@description('Largest accepted upload in bytes (Limits:MaxUploadBytes).')
@minValue(1)
param maxUploadBytes int = 2147483648

@description('Longest accepted recording in seconds (Limits:MaxDurationSeconds).')
@minValue(1)
param maxDurationSeconds int = 86400

// --- Completion events ------------------------------------------------------------------------------------------

@description('Create an Event Grid custom topic that receives a completion event per recording.')
param createEventGridTopic bool = false

@description('Webhook that receives signed completion events (Events:WebhookUrl). Empty: no webhook.')
param webhookUrl string = ''

@description('HMAC-SHA256 key for webhook signatures. Stored in a Key Vault created for it; apps read it by reference.')
@secure()
param webhookSecret string = ''

// --- Names ------------------------------------------------------------------------------------------------------

var suffix = uniqueString(resourceGroup().id)
var baseName = '${namePrefix}-${environmentName}'
var compactName = toLower(replace('${namePrefix}${environmentName}', '-', ''))
var storageAccountName = take('st${compactName}${suffix}', 24)
var registryName = take('cr${compactName}${suffix}', 50)
var keyVaultName = take('kv${compactName}${suffix}', 24)
var functionAppName = 'func-${baseName}-${take(suffix, 6)}'
var identityName = 'id-${baseName}'
var workspaceName = 'log-${baseName}'
// The blob-triggered function in src/MtlBatch.Functions (the Event Grid subscription calls it by name).
var blobTriggerFunctionName = 'OnRecordingUploaded'

// --- Shared resources -------------------------------------------------------------------------------------------

module identity 'modules/identity.bicep' = {
  name: 'identity'
  params: {
    location: location
    name: identityName
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    location: location
    workspaceName: workspaceName
    appInsightsName: 'appi-${baseName}'
    tags: tags
    retentionInDays: logRetentionDays
    identityName: identityName
  }
  dependsOn: [identity]
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    location: location
    name: storageAccountName
    tags: tags
    skuName: storageSku
    decodedRetentionDays: decodedRetentionDays
    blobSoftDeleteDays: blobSoftDeleteDays
    identityName: identityName
  }
  dependsOn: [identity]
}

module registry 'modules/registry.bicep' = {
  name: 'registry'
  params: {
    location: location
    name: registryName
    tags: tags
    identityName: identityName
  }
  dependsOn: [identity]
}

module keyVault 'modules/keyVault.bicep' = if (!empty(webhookSecret)) {
  name: 'keyVault'
  params: {
    location: location
    name: keyVaultName
    tags: tags
    identityName: identityName
    webhookSecret: webhookSecret
  }
  dependsOn: [identity]
}

module eventTopic 'modules/eventTopic.bicep' = if (createEventGridTopic) {
  name: 'eventTopic'
  params: {
    location: location
    name: 'evgt-${baseName}'
    tags: tags
    identityName: identityName
  }
  dependsOn: [identity]
}

// --- Intake -----------------------------------------------------------------------------------------------------

module intake 'modules/intakeFunction.bicep' = {
  name: 'intake'
  params: {
    location: location
    name: functionAppName
    tags: tags
    identityId: identity.outputs.id
    blobEndpoint: storage.outputs.blobEndpoint
    deploymentPackageContainer: storage.outputs.deploymentPackageContainer
    runtimeVersion: functionsRuntimeVersion
    maximumInstanceCount: intakeMaximumInstanceCount
    instanceMemoryMB: intakeInstanceMemoryMB
    // Every name below is a host setting or Section__Property of an options class (checked by MtlBatch.Infra.Tests).
    appSettings: [
      { name: 'AzureWebJobsStorage__accountName', value: storage.outputs.name }
      { name: 'AzureWebJobsStorage__credential', value: 'managedidentity' }
      { name: 'AzureWebJobsStorage__clientId', value: identity.outputs.clientId }
      { name: 'AZURE_CLIENT_ID', value: identity.outputs.clientId }
      { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: monitoring.outputs.appInsightsConnectionString }
      { name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', value: 'Authorization=AAD;ClientId=${identity.outputs.clientId}' }
      { name: 'AzureWebJobs.RunInference.Disabled', value: 'true' }
      { name: 'Analysis__Device', value: 'Cpu' }
      { name: 'AudioDecoder__BinaryFolder', value: intakeFfmpegFolder }
      { name: 'Pipeline__ModelVersion', value: modelVersion }
      { name: 'Reprocess__Schedule', value: reprocessSchedule }
      { name: 'Reprocess__MaxQueueLength', value: string(reprocessMaxQueueLength) }
      { name: 'Limits__MaxUploadBytes', value: string(maxUploadBytes) }
      { name: 'Limits__MaxDurationSeconds', value: string(maxDurationSeconds) }
      { name: 'Events__WebhookUrl', value: webhookUrl }
      { name: 'Events__WebhookSecret', keyVaultSecretUri: keyVault.?outputs.webhookSecretUri ?? '' }
      { name: 'Events__EventGridTopicEndpoint', value: eventTopic.?outputs.endpoint ?? '' }
    ]
  }
}

module blobEvents 'modules/blobEvents.bicep' = {
  name: 'blobEvents'
  params: {
    location: location
    name: 'evgst-${baseName}'
    tags: tags
    storageAccountId: storage.outputs.id
    recordingsContainer: storage.outputs.recordingsContainer
    functionAppName: functionAppName
    blobTriggerFunctionName: blobTriggerFunctionName
    subscribe: subscribeBlobEvents
  }
  dependsOn: [intake]
}

// --- GPU inference ----------------------------------------------------------------------------------------------

module inference 'modules/inference.bicep' = if (!empty(inferenceImageTag)) {
  name: 'inference'
  params: {
    location: location
    baseName: baseName
    tags: tags
    identityId: identity.outputs.id
    workspaceName: workspaceName
    gpuProfileType: gpuProfileType
    image: '${registry.outputs.loginServer}/mtlbatch-functions:${inferenceImageTag}'
    registryServer: registry.outputs.loginServer
    minReplicas: inferenceMinReplicas
    maxReplicas: inferenceMaxReplicas
    messagesPerReplica: inferenceMessagesPerReplica
    storageAccountName: storage.outputs.name
    queueName: storage.outputs.inferenceQueue
    appSettings: [
      { name: 'AzureWebJobsStorage__accountName', value: storage.outputs.name }
      { name: 'AzureWebJobsStorage__credential', value: 'managedidentity' }
      { name: 'AzureWebJobsStorage__clientId', value: identity.outputs.clientId }
      { name: 'AZURE_CLIENT_ID', value: identity.outputs.clientId }
      { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: monitoring.outputs.appInsightsConnectionString }
      { name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', value: 'Authorization=AAD;ClientId=${identity.outputs.clientId}' }
      { name: 'FUNCTIONS_WORKER_RUNTIME', value: 'dotnet-isolated' }
      { name: 'AzureWebJobs.OnRecordingUploaded.Disabled', value: 'true' }
      { name: 'AzureWebJobs.ReprocessOnSchedule.Disabled', value: 'true' }
      { name: 'AzureWebJobs.Reprocess.Disabled', value: 'true' }
      { name: 'AzureWebJobs.GetJob.Disabled', value: 'true' }
      { name: 'AzureWebJobs.WatchPoison.Disabled', value: 'true' }
      { name: 'AzureWebJobs.ScanForReprocess.Disabled', value: 'true' }
      { name: 'AzureWebJobs.RunQueuedIntake.Disabled', value: 'true' }
      { name: 'AzureWebJobs.WatchBlobTriggerPoison.Disabled', value: 'true' }
      { name: 'Analysis__Device', value: 'Cuda' }
      { name: 'Analysis__BatchSize', value: string(gpuBatchSize) }
      { name: 'Analysis__ModelPath', value: '/home/site/wwwroot/models/mtl-small.onnx' }
      { name: 'Pipeline__ModelVersion', value: modelVersion }
      // The timer's %Reprocess:Schedule% must resolve in every host that indexes the function, even disabled.
      { name: 'Reprocess__Schedule', value: reprocessSchedule }
      { name: 'Limits__MaxDurationSeconds', value: string(maxDurationSeconds) }
      { name: 'Events__WebhookUrl', value: webhookUrl }
      { name: 'Events__WebhookSecret', keyVaultSecretUri: keyVault.?outputs.webhookSecretUri ?? '' }
      { name: 'Events__EventGridTopicEndpoint', value: eventTopic.?outputs.endpoint ?? '' }
    ]
  }
}

// --- Outputs (names the deployment commands in docs/deploy.md need) ---------------------------------------------

@description('Storage account to upload recordings to (container recordings).')
output storageAccountName string = storage.outputs.name

@description('Intake function app: publish src/MtlBatch.Functions here.')
output functionAppName string = intake.outputs.name

@description('Registry for the GPU inference image (az acr build).')
output registryLoginServer string = registry.outputs.loginServer

@description('Registry name (az acr build --registry).')
output registryName string = registryName

@description('GPU inference container app, empty until inferenceImageTag is set.')
output inferenceAppName string = inference.?outputs.name ?? ''

@description('Event Grid system topic of the storage account.')
output blobEventsSystemTopic string = blobEvents.outputs.systemTopicName

@description('Completion events topic endpoint, empty when not created.')
output eventGridTopicEndpoint string = eventTopic.?outputs.endpoint ?? ''
