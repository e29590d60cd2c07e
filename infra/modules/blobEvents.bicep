// Event Grid system topic on the storage account, and (once the intake code is published) the subscription
// that delivers BlobCreated events for the recordings container to the blob trigger's Event Grid endpoint
// (blob trigger with Source = EventGrid: no polling, low latency, required on Flex Consumption).
// The endpoint needs the host's blobs_extension system key, which exists only after the function code has been
// published and the host has started once, hence the second deployment in docs/deploy.md.

@description('Azure region (the storage account\'s).')
param location string

@description('System topic name.')
param name string

@description('Resource tags.')
param tags { *: string }

@description('Resource id of the storage account that raises the events.')
param storageAccountId string

@description('Container whose new blobs trigger intake.')
param recordingsContainer string

@description('Intake function app name.')
param functionAppName string

@description('Name of the blob-triggered function (the [Function] name in src/MtlBatch.Functions).')
param blobTriggerFunctionName string

@description('Create the subscription. False on the first deployment, before the function code exists.')
param subscribe bool

resource functionApp 'Microsoft.Web/sites@2025-03-01' existing = {
  name: functionAppName
}

resource systemTopic 'Microsoft.EventGrid/systemTopics@2025-02-15' = {
  name: name
  location: location
  tags: tags
  properties: {
    source: storageAccountId
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

resource recordingsCreated 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15' = if (subscribe) {
  parent: systemTopic
  name: 'recordings-to-intake'
  properties: {
    destination: {
      endpointType: 'WebHook'
      properties: {
        endpointUrl: 'https://${functionApp.properties.defaultHostName}/runtime/webhooks/blobs?functionName=Host.Functions.${blobTriggerFunctionName}&code=${listKeys('${functionApp.id}/host/default', '2025-03-01').systemKeys.blobs_extension}'
        maxEventsPerBatch: 1
        preferredBatchSizeInKilobytes: 64
      }
    }
    eventDeliverySchema: 'EventGridSchema'
    filter: {
      includedEventTypes: ['Microsoft.Storage.BlobCreated']
      subjectBeginsWith: '/blobServices/default/containers/${recordingsContainer}/blobs/'
    }
    retryPolicy: {
      maxDeliveryAttempts: 30
      eventTimeToLiveInMinutes: 1440
    }
  }
}

@description('System topic name.')
output systemTopicName string = systemTopic.name
