// Optional Event Grid custom topic for completion events. Local (key) auth is disabled: the pipeline publishes
// with the managed identity (EventGrid Data Sender).

@description('Azure region.')
param location string

@description('Topic name.')
param name string

@description('Resource tags.')
param tags { *: string }

@description('Name of the user-assigned identity the apps run as (same resource group).')
param identityName string

var dataSender = 'd5a91429-5739-47e2-a06b-3470a27159e7'

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' existing = {
  name: identityName
}

resource topic 'Microsoft.EventGrid/topics@2025-02-15' = {
  name: name
  location: location
  tags: tags
  properties: {
    inputSchema: 'EventGridSchema' // the pipeline publishes EventGridEvent (Azure.Messaging.EventGrid)
    disableLocalAuth: true
    publicNetworkAccess: 'Enabled'
  }
}

resource sender 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(topic.id, identity.id, dataSender)
  scope: topic
  properties: {
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', dataSender)
  }
}

@description('Topic endpoint the pipeline publishes to.')
output endpoint string = topic.properties.endpoint

@description('Data Sender role assignment id.')
output senderRoleAssignmentId string = sender.id
