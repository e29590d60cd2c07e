// The one user-assigned identity both apps run as. Roles are granted to it by the resource modules.

@description('Azure region.')
param location string

@description('Identity name.')
param name string

@description('Resource tags.')
param tags { *: string }

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: name
  location: location
  tags: tags
}

@description('Resource id of the identity.')
output id string = identity.id

@description('Client id, used by AzureWebJobsStorage__clientId and AZURE_CLIENT_ID.')
output clientId string = identity.properties.clientId

@description('Principal (object) id, used for role assignments.')
output principalId string = identity.properties.principalId
