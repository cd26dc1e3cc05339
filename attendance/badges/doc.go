// Package badges exports rollcall's certificates as Open Badges 3.0
// credentials (OpenBadgeCredential, 1EdTech Open Badges Specification 3.0
// on the W3C Verifiable Credentials Data Model 2.0).
//
// Each issued certificate becomes one credential: the issuer Profile, the
// Achievement of its type (Certificate of Participation or of Appreciation,
// with the event's policy as criteria), and an AchievementSubject that names
// the recipient and identifies them by a salted SHA-256 hash of their email
// address. The plain email address never appears in a credential.
//
// Output is deterministic: the same certificate gives the same bytes on every
// export (the credential id is a name-based UUID of the certificate id, the
// salt is derived from it, JSON fields have a fixed order, and Ed25519 and
// RSA PKCS #1 v1.5 signatures are deterministic), so re-exporting does not
// churn archives.
//
// # Signing
//
// Where an issuer key is configured, credentials are also written as VC-JWT
// (Open Badges 3.0 §8.2 "JSON Web Token Proof Format"): a compact JWS with
// header {"alg":"EdDSA" or "RS256","kid":<issuer id>#key-1,"typ":"JWT"} whose payload is
// the credential itself, its members at the top level, plus the iss, jti and
// nbf claims (issuer.id, id, validFrom). Drafts of Open Badges 3.0 written
// for VC Data Model 1.1 wrapped the credential in a "vc" claim; on VC Data
// Model 2.0 it is not wrapped. There is no "sub" claim because recipients
// are identified by identifier objects, not by a credentialSubject.id. This format was chosen over
// an embedded Data Integrity proof because the only Data Integrity suite Open
// Badges 3.0 names for Ed25519 is eddsa-rdfc-2022, which needs RDF dataset
// canonicalisation (and a JSON-LD processor) to sign; the JCS variant
// (eddsa-jcs-2022) is not one the specification lists. A JWS signs the exact
// bytes, needs no canonicalisation and is implemented here with the standard
// library alone.
//
// The algorithm follows the key. Open Badges 3.0 §8.2 (the JOSE header)
// says the algorithm "MUST be RS256 as a minimum" and that others "limit
// interoperability": an RSA key of at least 2048 bits signs RS256, which
// every conformant verifier checks; an Ed25519 key signs EdDSA, shorter and
// faster, which a verifier that implements only RS256 cannot check. Verify
// takes the algorithm from the key it is given, never from the token.
//
// The key is a private key in a file that only its owner may read
// (LoadIssuerKey). Its public half is published as a JSON Web Key in the
// issuer profile document (IssuerKeyDocument) and as a JWK Set (JWKS).
//
// # Revocation status
//
// An Award with a StatusListURL makes a credential with a credentialStatus
// (W3C Bitstring Status List v1.0, a BitstringStatusListEntry of purpose
// "revocation"): the URL of its event's list, StatusListURL(public URL,
// slug), and the certificate's own index in it, given once when it was
// issued. The issuer publishes the list as a BitstringStatusListCredential
// (NewStatusList) signed like the badges (SignStatusList: the same key,
// header and iss/jti/nbf claims). Its encodedList is the bitstring, at least
// StatusListMinBits (16 KB) long, GZIP-compressed and written as multibase
// base64url ("u" prefix, no padding); bit 0 is the most significant bit of
// the first byte; a set bit means revoked.
//
// A recipient's verifier checks, in order: the badge's signature (Verify,
// with the key the issuer profile publishes under the JWT's kid); then it
// fetches credentialStatus.statusListCredential, verifies that list's
// signature with the same key and that it is a revocation list whose id is
// the URL fetched (VerifyStatusList); then it decodes the list
// (DecodeStatusList, refusing one under 16 KB) and reads the badge's bit
// (Revoked). A set bit means the issuer revoked the certificate.
//
// # Contexts
//
// The JSON-LD context documents the credentials name are embedded in the
// binary (Contexts); nothing is fetched at run time. See contexts/SOURCES.md
// for where each copy comes from.
package badges
