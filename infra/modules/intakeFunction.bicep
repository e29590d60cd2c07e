// The intake function app on Flex Consumption (plan sku FC1): blob-triggered decode (fed by Event Grid),
// scheduled and HTTP reprocessing, job lookup. It runs the MtlBatch.Functions zip package, not the GPU image.

import { appSetting } from 'types.bicep'

@description('Azure region.')
param location string

@description('Function app name (globally unique host name).')
param name string

@description('Resource tags.')
param tags { *: string }

@description('Resource id of the user-assigned identity the app runs as.')
param identityId string

@description('Blob endpoint of the storage account, e.g. https://<name>.blob.core.windows.net/.')
param blobEndpoint string

@description('Container that receives the deployment package.')
param deploymentPackageContainer string

@description('.NET isolated worker version on Flex Consumption.')
param runtimeVersion string

@description('Most instances Flex Consumption scales out to.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int

@description('Memory per instance in MB: decoding long recordings with ffmpeg wants 2048 or more.')
@allowed([512, 2048, 4096])
param instanceMemoryMB int

@description('App settings (names in Section__Property form for the options classes; see docs/deploy.md).')
param appSettings appSetting[]

// A setting with neither a value nor a secret is left out, so an unset optional parameter leaves the options
// property at its default (an empty app setting would bind as "").
var effectiveSettings = filter(appSettings, s => !empty(s.?value ?? '') || !empty(s.?keyVaultSecretUri ?? ''))

resource plan 'Microsoft.Web/serverfarms@2025-03-01' = {
  name: 'plan-${name}'
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

resource app 'Microsoft.Web/sites@2025-03-01' = {
  name: name
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identityId
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${blobEndpoint}${deploymentPackageContainer}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'dotnet-isolated'
        version: runtimeVersion
      }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      appSettings: [
        for setting in effectiveSettings: {
          name: setting.name
          value: empty(setting.?keyVaultSecretUri ?? '')
            ? setting.?value ?? ''
            : '@Microsoft.KeyVault(SecretUri=${setting.?keyVaultSecretUri})'
        }
      ]
    }
  }
}

@description('Function app resource id.')
output id string = app.id

@description('Function app name.')
output name string = app.name

@description('Default host name, e.g. <name>.azurewebsites.net.')
output defaultHostName string = app.properties.defaultHostName
