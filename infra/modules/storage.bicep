// The storage account the pipeline runs on: the containers, queues and tables of
// src/MtlBatch.Core/StorageNames.cs (tests/MtlBatch.Infra.Tests checks they are the same sets), a lifecycle rule
// that expires decoded intermediate audio, and data-plane roles for the apps' managed identity.
// Shared-key access is disabled: everything authenticates with Microsoft Entra ID.

@description('Azure region.')
param location string

@description('Storage account name (3-24 lowercase letters and digits).')
@minLength(3)
@maxLength(24)
param name string

@description('Resource tags.')
param tags { *: string }

@description('Replication: Standard_LRS for dev, Standard_ZRS (or GZRS) for production.')
@allowed(['Standard_LRS', 'Standard_ZRS', 'Standard_GRS', 'Standard_GZRS'])
param skuName string

@description('Days after its last modification that a decoded intermediate (16 kHz mono) blob is deleted. The pipeline deletes it after success; this catches what failures leave behind.')
@minValue(1)
param decodedRetentionDays int

@description('Days deleted blobs stay recoverable (soft delete).')
@minValue(1)
@maxValue(365)
param blobSoftDeleteDays int

@description('Name of the user-assigned identity the apps run as (same resource group).')
param identityName string

// --- Names: the same strings as src/MtlBatch.Core/StorageNames.cs -------------------------------------------
var recordingsContainer = 'recordings'
var resultsContainer = 'results'
var decodedContainer = 'decoded'
var inferenceQueue = 'inference-jobs'
var inferencePoisonQueue = 'inference-jobs-poison'
var resultsEventsQueue = 'results-events'
var intakeQueue = 'intake-jobs'
var reprocessQueue = 'reprocess-scans'
// The Functions host moves a message that failed maxDequeueCount deliveries to '<queue>-poison'; created here so they exist
// (and are covered by the queue role) before the first one.
var intakePoisonQueue = 'intake-jobs-poison'
var reprocessPoisonQueue = 'reprocess-scans-poison'
// The host's own poison queue for blob-trigger runs that failed poisonBlobThreshold times (WatchBlobTriggerPoison reads it).
var blobTriggerPoisonQueue = 'webjobs-blobtrigger-poison'
var jobsTable = 'jobs'
var stateTable = 'pipelinestate'
// Host-owned, not used by the code: the Flex Consumption deployment package lives here.
var deploymentPackageContainer = 'app-package'

var blobContainers = [recordingsContainer, resultsContainer, decodedContainer, deploymentPackageContainer]
var queues = [inferenceQueue, inferencePoisonQueue, resultsEventsQueue, intakeQueue, reprocessQueue, intakePoisonQueue, reprocessPoisonQueue, blobTriggerPoisonQueue]
var tables = [jobsTable, stateTable]

// Built-in data-plane roles (least privilege for what the Functions host and the pipeline do):
//  - Blob Data Owner: the host's blob-trigger receipts and leases (azure-webjobs-hosts) need it, per the
//    Functions identity-based connection guidance; the pipeline reads recordings and writes decoded and results.
//  - Queue Data Contributor: queue trigger (peek, dequeue, delete), enqueueing jobs and events, poison queue.
//  - Table Data Contributor: the job ledger and the pipeline state table.
var roles = {
  blobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  queueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  tableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' existing = {
  name: identityName
}

resource account 'Microsoft.Storage/storageAccounts@2026-09-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: skuName }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2026-09-01' = {
  parent: account
  name: 'default'
  properties: {
    deleteRetentionPolicy: { enabled: true, days: blobSoftDeleteDays }
  }
}

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2026-09-01' = [
  for container in blobContainers: {
    parent: blobService
    name: container
    properties: { publicAccess: 'None' }
  }
]

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2026-09-01' = {
  parent: account
  name: 'default'
}

resource queueResources 'Microsoft.Storage/storageAccounts/queueServices/queues@2026-09-01' = [
  for queue in queues: {
    parent: queueService
    name: queue
  }
]

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2026-09-01' = {
  parent: account
  name: 'default'
}

resource tableResources 'Microsoft.Storage/storageAccounts/tableServices/tables@2026-09-01' = [
  for table in tables: {
    parent: tableService
    name: table
  }
]

resource lifecycle 'Microsoft.Storage/storageAccounts/managementPolicies@2026-09-01' = {
  parent: account
  name: 'default'
  properties: {
    policy: {
      rules: [
        {
          name: 'expire-decoded-audio'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: {
              blobTypes: ['blockBlob']
              prefixMatch: ['${decodedContainer}/']
            }
            actions: {
              baseBlob: {
                delete: { daysAfterModificationGreaterThan: decodedRetentionDays }
              }
            }
          }
        }
      ]
    }
  }
}

resource roleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in items(roles): {
    name: guid(account.id, identity.id, role.value)
    scope: account
    properties: {
      principalId: identity.properties.principalId
      principalType: 'ServicePrincipal'
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role.value)
    }
  }
]

@description('Storage account name.')
output name string = account.name

@description('Storage account resource id.')
output id string = account.id

@description('Blob endpoint, e.g. https://<name>.blob.core.windows.net/.')
output blobEndpoint string = account.properties.primaryEndpoints.blob

@description('Container the intake function is triggered on.')
output recordingsContainer string = recordingsContainer

@description('Queue the GPU inference replicas are scaled by.')
output inferenceQueue string = inferenceQueue

@description('Container that holds the Flex Consumption deployment package.')
output deploymentPackageContainer string = deploymentPackageContainer

@description('Role assignment ids: consumers depend on this so the apps start after their roles exist.')
output roleAssignmentIds string[] = [for (role, i) in items(roles): roleAssignments[i].id]
