// Optional: holds the webhook signing secret. The apps read it through a Key Vault reference (function app)
// or a Key Vault secret reference (container app) with the managed identity (Key Vault Secrets User).

@description('Azure region.')
param location string

@description('Vault name (3-24 characters, globally unique).')
@minLength(3)
@maxLength(24)
param name string

@description('Resource tags.')
param tags { *: string }

@description('Name of the user-assigned identity the apps run as (same resource group).')
param identityName string

@description('HMAC-SHA256 key used to sign webhook payloads.')
@secure()
param webhookSecret string

var secretsUser = '4633458b-17de-408a-b874-0445c86b69e6'

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' existing = {
  name: identityName
}

resource vault 'Microsoft.KeyVault/vaults@2026-05-15' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 30
    enablePurgeProtection: true
  }
}

resource secret 'Microsoft.KeyVault/vaults/secrets@2026-05-15' = {
  parent: vault
  name: 'webhook-secret'
  properties: {
    value: webhookSecret
    contentType: 'text/plain'
  }
}

resource reader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, identity.id, secretsUser)
  scope: vault
  properties: {
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', secretsUser)
  }
}

@description('Versionless secret URI: the apps always read the current version, so rotating needs no redeploy.')
output webhookSecretUri string = secret.properties.secretUri

@description('Secrets User role assignment id (the apps depend on it).')
output readerRoleAssignmentId string = reader.id
