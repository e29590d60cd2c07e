// Shapes shared by main.bicep and the modules.

@export()
@description('One app setting / environment variable. Exactly one of value or keyVaultSecretUri is set.')
type appSetting = {
  @description('Setting name, e.g. AzureWebJobsStorage__accountName or Analysis__BatchSize (Section__Property).')
  name: string
  @description('Plain value.')
  value: string?
  @description('Versionless Key Vault secret URI; the function app gets a Key Vault reference, the container app a Key Vault secret.')
  keyVaultSecretUri: string?
}
