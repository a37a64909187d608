// How requests to SharePoint are authorised. Strategies: none, a static
// bearer token, Entra ID app-only with a certificate, Azure managed identity.
//
// Secrets (tokens, assertions, keys) never appear in Describe(), logs or
// exception messages.
//
// Thread safety: implementations are safe to share between sessions.
#pragma once

#include "spsync/engine/deadline.hpp"

#include <memory>
#include <string>

namespace spsync::engine {

class HttpClient;

class Credentials {
 public:
  virtual ~Credentials() = default;
  // The Authorization header value ("Bearer ..."), or "" for none. May make a
  // token request (cached until shortly before it expires).
  virtual std::string AuthorizationHeader(const Deadline& deadline) = 0;
  // The server answered 401 with the last header: drop any cached token.
  virtual void Invalidate() {}
  // What the strategy is, for logs: never contains the secret.
  virtual std::string Describe() const = 0;
};

std::shared_ptr<Credentials> NoCredentials();
std::shared_ptr<Credentials> BearerCredentials(std::string token);

struct CertificateAuthOptions {
  std::string authority = "https://login.microsoftonline.com";  // national clouds / the emulator
  std::string tenant;
  std::string client_id;
  std::string certificate_path;  // PEM with the certificate and its private key
  std::string private_key_path;  // optional separate key PEM
  std::string private_key_password;
  std::string resource;             // e.g. https://contoso.sharepoint.com
  std::string algorithm = "RS256";  // or PS256
};
std::shared_ptr<Credentials> CertificateCredentials(CertificateAuthOptions options,
                                                    std::shared_ptr<HttpClient> http);

struct ManagedIdentityOptions {
  std::string resource;   // e.g. https://contoso.sharepoint.com
  std::string client_id;  // user-assigned identity; "" = system-assigned
  // From the environment when empty: IDENTITY_ENDPOINT / IDENTITY_HEADER.
  std::string endpoint;
  std::string header;
};
std::shared_ptr<Credentials> ManagedIdentityCredentials(ManagedIdentityOptions options,
                                                        std::shared_ptr<HttpClient> http);

}  // namespace spsync::engine
