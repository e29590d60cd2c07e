// GPU inference: the MtlBatch functions image on Azure Container Apps, in a serverless GPU workload profile,
// scaled by KEDA on the length of the inference-jobs queue (authenticated with the managed identity).
// Each replica runs the Functions host with the queue-triggered RunInference function and one ONNX Runtime
// CUDA session; the queue trigger's batch size in host.json decides how many jobs share the GPU at once.

import { appSetting } from 'types.bicep'

@description('Azure region (must offer serverless GPUs, see docs/deploy.md).')
param location string

@description('Base name for the environment and the app.')
param baseName string

@description('Resource tags.')
param tags { *: string }

@description('Resource id of the user-assigned identity the app runs as.')
param identityId string

@description('Log Analytics workspace name for the environment\'s logs (same resource group).')
param workspaceName string

@description('Serverless GPU workload profile type.')
@allowed(['Consumption-GPU-NC8as-T4', 'Consumption-GPU-NC24-A100'])
param gpuProfileType string

@description('Full image reference, e.g. <registry>.azurecr.io/mtlbatch-functions:1.0.0.')
param image string

@description('Registry login server the image is pulled from with the identity.')
param registryServer string

@description('Replicas kept warm when the queue is empty (0 = scale to zero, pay nothing idle, accept a cold start).')
@minValue(0)
param minReplicas int

@description('Most GPU replicas (bounded by your serverless GPU quota).')
@minValue(1)
@maxValue(1000)
param maxReplicas int

@description('Queue messages per replica before KEDA adds one (jobs waiting per GPU).')
@minValue(1)
param messagesPerReplica int

@description('Storage account that holds the queue.')
param storageAccountName string

@description('Queue that drives scaling.')
param queueName string

@description('Environment variables (names in Section__Property form for the options classes; see docs/deploy.md).')
param appSettings appSetting[]

// A setting with neither a value nor a secret is left out, so an unset optional parameter leaves the options
// property at its default (an empty app setting would bind as "").
var effectiveSettings = filter(appSettings, s => !empty(s.?value ?? '') || !empty(s.?keyVaultSecretUri ?? ''))

// The whole GPU profile goes to one replica: one GPU, all of its vCPUs (decoding, beam search) and memory.
var replicaResources = {
  'Consumption-GPU-NC8as-T4': { cpu: '8.0', memory: '56Gi' }
  'Consumption-GPU-NC24-A100': { cpu: '24.0', memory: '220Gi' }
}
var gpuProfileName = 'gpu'
var secretSettings = filter(effectiveSettings, s => !empty(s.?keyVaultSecretUri ?? ''))

resource workspace 'Microsoft.OperationalInsights/workspaces@2026-03-01' existing = {
  name: workspaceName
}

resource environment 'Microsoft.App/managedEnvironments@2026-07-01' = {
  name: 'cae-${baseName}'
  location: location
  tags: tags
  properties: {
    // Console and system logs (image pulls, scaling, crashes) go to Log Analytics. The workspace key is read by
    // ARM at deployment time and never appears in app settings or outputs; app telemetry goes to Application
    // Insights with the managed identity.
    appLogsConfiguration: {
      destination: 'log-analytics'
      logAnalyticsConfiguration: {
        customerId: workspace.properties.customerId
        sharedKey: workspace.listKeys().primarySharedKey
      }
    }
    workloadProfiles: [
      {
        name: 'Consumption'
        workloadProfileType: 'Consumption'
      }
      {
        name: gpuProfileName
        workloadProfileType: gpuProfileType
      }
    ]
  }
}

resource app 'Microsoft.App/containerApps@2026-07-01' = {
  name: 'ca-${baseName}-inference'
  location: location
  tags: tags
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    environmentId: environment.id
    workloadProfileName: gpuProfileName
    configuration: {
      activeRevisionsMode: 'Single'
      // No ingress: replicas only pull work from the queue.
      registries: [
        {
          server: registryServer
          identity: identityId
        }
      ]
      secrets: [
        for s in secretSettings: {
          name: toLower(replace(s.name, '_', '-'))
          keyVaultUrl: s.?keyVaultSecretUri
          identity: identityId
        }
      ]
    }
    template: {
      containers: [
        {
          name: 'inference'
          image: image
          resources: {
            cpu: json(replicaResources[gpuProfileType].cpu)
            memory: replicaResources[gpuProfileType].memory
          }
          env: [
            for s in effectiveSettings: empty(s.?keyVaultSecretUri ?? '')
              ? { name: s.name, value: s.?value ?? '' }
              : { name: s.name, secretRef: toLower(replace(s.name, '_', '-')) }
          ]
        }
      ]
      scale: {
        minReplicas: minReplicas
        maxReplicas: maxReplicas
        rules: [
          {
            name: 'inference-queue'
            azureQueue: {
              accountName: storageAccountName
              queueName: queueName
              queueLength: messagesPerReplica
              identity: identityId
            }
          }
        ]
      }
    }
  }
}

@description('Container app name.')
output name string = app.name

@description('Managed environment name.')
output environmentName string = environment.name
