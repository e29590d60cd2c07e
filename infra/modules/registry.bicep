// Container registry for the GPU inference image, pulled by the container app with the managed identity
// (AcrPull); the admin user stays disabled. `az acr build` builds the image in Azure (docs/deploy.md).

@description('Azure region.')
param location string

@description('Registry name (5-50 letters and digits, globally unique).')
@minLength(5)
@maxLength(50)
param name string

@description('Resource tags.')
param tags { *: string }

@description('Name of the user-assigned identity the apps run as (same resource group).')
param identityName string

var acrPull = '7f951dda-4ed3-4680-a7ca-43d2b4ae2a40'

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' existing = {
  name: identityName
}

resource registry 'Microsoft.ContainerRegistry/registries@2025-11-01' = {
  name: name
  location: location
  tags: tags
  sku: { name: 'Basic' }
  properties: {
    adminUserEnabled: false
    anonymousPullEnabled: false
  }
}

resource pull 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(registry.id, identity.id, acrPull)
  scope: registry
  properties: {
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', acrPull)
  }
}

@description('Login server, e.g. <name>.azurecr.io.')
output loginServer string = registry.properties.loginServer

@description('AcrPull role assignment id (the container app depends on it).')
output pullRoleAssignmentId string = pull.id
