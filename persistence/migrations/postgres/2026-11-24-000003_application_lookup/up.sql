-- Submitting looks up the provider's earlier live application to the same call.
CREATE INDEX applications_tender_provider ON applications (tender_id, provider_id, status);
