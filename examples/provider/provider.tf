terraform {
  required_providers {
    intune = {
      source = "intune-tf/intune"
    }
  }
}

# Credentials usually come from the environment a pipeline already exports
# for the azuread/azurerm providers: ARM_TENANT_ID, ARM_CLIENT_ID and
# ARM_CLIENT_SECRET. The demo points INTUNE_GRAPH_ENDPOINT and
# INTUNE_AUTHORITY_HOST at the bundled Graph simulator.
provider "intune" {
  # tenant_id     = "00000000-0000-0000-0000-000000000000"
  # client_id     = "00000000-0000-0000-0000-000000000000"
  # client_secret = var.intune_client_secret
}
