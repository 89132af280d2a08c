package sigstoretest

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strings"

	"github.com/cyberphone/json-canonicalization/go/src/webpki.org/jsoncanonicalizer"
	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protodsse "github.com/sigstore/protobuf-specs/gen/pb-go/dsse"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	rekortilespb "github.com/sigstore/rekor-tiles/v2/pkg/generated/protobuf"
	rekornote "github.com/sigstore/rekor-tiles/v2/pkg/note"
	"github.com/sigstore/sigstore/pkg/signature"
	flog "github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"
	"google.golang.org/protobuf/encoding/protojson"
)

// RekorV2Origin is the checkpoint origin (and trusted-root base URL host)
// of the instance's Rekor v2 log.
const RekorV2Origin = "rekor2.sigstoretest.invalid"

// Checkpoint is how a Rekor v2 entry's checkpoint is made (the conformance
// suite's rekor2-checkpoint-* cases).
type Checkpoint int

const (
	CheckpointGood         Checkpoint = iota
	CheckpointBadSignature            // the log's signature with one byte flipped
	CheckpointOtherLog                // signed by another log's key under this log's origin
	CheckpointOtherOrigin             // signed by this log's key for another origin
	CheckpointNoOrigin                // the origin line removed
	CheckpointCosigned                // an unknown witness's signature line first, the log's second
	CheckpointOtherTree               // validly signed, but for the tree one entry later
)

// RekorV2Options shape a Rekor v2 entry (hashedrekord v0.0.2).
type RekorV2Options struct {
	TreeSize   int // leaves in the log when the checkpoint was signed (default 3); the entry is the second
	Checkpoint Checkpoint
	// ProofTreeSize, when not 0, makes the inclusion proof (its hashes,
	// root hash and tree size) one for the tree of that size; the
	// checkpoint still signs the tree of TreeSize.
	ProofTreeSize int
	// ProofSizeField, when not 0, only rewrites the proof's (unsigned)
	// tree size field.
	ProofSizeField int64
	NoProof        bool // no inclusion proof
	NoTimestamp    bool // no RFC 3161 timestamp (Rekor v2 has no integrated time)
	// DSSEEntry logs a DSSE envelope as a dsse v0.0.2 entry (the SHA-256
	// of the payload and the signature), the kind early Rekor v2 logs
	// wrote and rekor-tiles v2.3.0 marks deprecated, instead of
	// hashedrekord v0.0.2 over the PAE.
	DSSEEntry bool
}

// SignDSSERekorV2 signs payload as id with a Fulcio-like certificate and
// logs it in the instance's Rekor v2 log the way Rekor v2 logs DSSE
// ("hashedrekord over DSSE": the entry holds the SHA-256 of the PAE), with
// an RFC 3161 timestamp. It verifies against TrustedRoot.
func (s *Sigstore) SignDSSERekorV2(id Identity, payload []byte, o Options, v2 RekorV2Options) []byte {
	s.tb.Helper()
	o.defaults()
	leaf, key := s.leaf(id, o.SignedAt, !o.NoSCT)
	const pt = "application/vnd.in-toto+json"
	pae := dsse.PAE(pt, payload)
	sig := s.sign(key, pae)
	b := s.bundle(leaf, o)
	b.Content = &protobundle.Bundle_DsseEnvelope{DsseEnvelope: &protodsse.Envelope{Payload: payload, PayloadType: pt,
		Signatures: []*protodsse.Signature{{Sig: sig}}}}
	d := sha256.Sum256(pae)
	if v2.DSSEEntry {
		d = sha256.Sum256(payload)
	}
	s.addRekorV2Entry(b, d[:], leaf.Raw, sig, v2)
	if !v2.NoTimestamp {
		s.addTimestamp(b, sig, o)
	}
	return s.marshal(b)
}

// SignBlobRekorV2 is SignDSSERekorV2 for a message signature over blob.
func (s *Sigstore) SignBlobRekorV2(id Identity, blob []byte, o Options, v2 RekorV2Options) []byte {
	s.tb.Helper()
	o.defaults()
	leaf, key := s.leaf(id, o.SignedAt, !o.NoSCT)
	sig := s.sign(key, blob)
	d := sha256.Sum256(blob)
	b := s.bundle(leaf, o)
	b.Content = &protobundle.Bundle_MessageSignature{MessageSignature: &protocommon.MessageSignature{
		MessageDigest: &protocommon.HashOutput{Algorithm: protocommon.HashAlgorithm_SHA2_256, Digest: d[:]}, Signature: sig}}
	s.addRekorV2Entry(b, d[:], leaf.Raw, sig, v2)
	if !v2.NoTimestamp {
		s.addTimestamp(b, sig, o)
	}
	return s.marshal(b)
}

func (s *Sigstore) addRekorV2Entry(b *protobundle.Bundle, digest, cert, sig []byte, o RekorV2Options) {
	signature := &rekortilespb.Signature{Content: sig, Verifier: &rekortilespb.Verifier{
		KeyDetails: protocommon.PublicKeyDetails_PKIX_ECDSA_P256_SHA_256,
		Verifier:   &rekortilespb.Verifier_X509Certificate{X509Certificate: &protocommon.X509Certificate{RawBytes: cert}}}}
	kind := "hashedrekord"
	entry := &rekortilespb.Entry{ApiVersion: "0.0.2", Kind: kind, Spec: &rekortilespb.Spec{
		Spec: &rekortilespb.Spec_HashedRekordV002{HashedRekordV002: &rekortilespb.HashedRekordLogEntryV002{
			Data: &protocommon.HashOutput{Algorithm: protocommon.HashAlgorithm_SHA2_256, Digest: digest}, Signature: signature,
		}}}}
	if o.DSSEEntry {
		kind = "dsse"
		entry = &rekortilespb.Entry{ApiVersion: "0.0.2", Kind: kind, Spec: dsseV002(digest, signature)}
	}
	raw, err := protojson.Marshal(entry)
	must(s.tb, err)
	body, err := jsoncanonicalizer.Transform(raw)
	must(s.tb, err)

	n := o.TreeSize
	if n == 0 {
		n = 3
	}
	idx := min(1, n-1)
	leaves := make([][]byte, max(n+1, o.ProofTreeSize)) // one more for CheckpointOtherTree
	for i := range leaves {
		other := make([]byte, 32)
		_, _ = rand.Read(other)
		leaves[i] = rfc6962.DefaultHasher.HashLeaf(other)
	}
	leaves[idx] = rfc6962.DefaultHasher.HashLeaf(body)
	tree := leaves[:n]
	cpTree := tree
	if o.Checkpoint == CheckpointOtherTree {
		cpTree = leaves
	}
	rootHash := merkleRoot(tree)
	cp := s.checkpoint(uint64(len(cpTree)), merkleRoot(cpTree), o.Checkpoint)

	proof := &protorekor.InclusionProof{LogIndex: int64(idx), TreeSize: int64(n), RootHash: rootHash,
		Hashes: merklePath(idx, tree), Checkpoint: &protorekor.Checkpoint{Envelope: cp}}
	if m := o.ProofTreeSize; m != 0 {
		proof.TreeSize, proof.RootHash, proof.Hashes = int64(m), merkleRoot(leaves[:m]), merklePath(idx, leaves[:m])
	}
	if o.ProofSizeField != 0 {
		proof.TreeSize = o.ProofSizeField
	}
	tle := &protorekor.TransparencyLogEntry{LogIndex: int64(idx), LogId: &protocommon.LogId{KeyId: logID(s.tb, s.v2Key.Public())},
		KindVersion: &protorekor.KindVersion{Kind: kind, Version: "0.0.2"}, CanonicalizedBody: body}
	if !o.NoProof {
		tle.InclusionProof = proof
	}
	b.VerificationMaterial.TlogEntries = append(b.VerificationMaterial.TlogEntries, tle)
}

// dsseV002 is a dsse v0.0.2 entry's spec (deprecated in rekor-tiles: it is
// a vector of what early Rekor v2 logs wrote).
func dsseV002(payloadHash []byte, sig *rekortilespb.Signature) *rekortilespb.Spec {
	h := &protocommon.HashOutput{Algorithm: protocommon.HashAlgorithm_SHA2_256, Digest: payloadHash}
	//lint:ignore SA1019 the deprecated entry kind is the point of the vector
	e := &rekortilespb.DSSELogEntryV002{PayloadHash: h, Signatures: []*rekortilespb.Signature{sig}}
	//lint:ignore SA1019 the deprecated entry kind is the point of the vector
	return &rekortilespb.Spec{Spec: &rekortilespb.Spec_DsseV002{DsseV002: e}}
}

// checkpoint signs the C2SP checkpoint of a tree as the Rekor v2 log does,
// or one of the broken variants.
func (s *Sigstore) checkpoint(size uint64, rootHash []byte, how Checkpoint) string {
	origin, key := RekorV2Origin, s.v2Key
	switch how {
	case CheckpointOtherOrigin:
		origin = "other." + RekorV2Origin
	case CheckpointOtherLog:
		var err error
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		must(s.tb, err)
	}
	sv, err := signature.LoadECDSASignerVerifier(key, crypto.SHA256)
	must(s.tb, err)
	logSigner, err := rekornote.NewNoteSigner(context.Background(), origin, sv)
	must(s.tb, err)
	signers := []note.Signer{logSigner}
	if how == CheckpointCosigned {
		skey, _, err := note.GenerateKey(rand.Reader, "witness.sigstoretest.invalid")
		must(s.tb, err)
		w, err := note.NewSigner(skey)
		must(s.tb, err)
		signers = []note.Signer{w, logSigner}
	}
	text := flog.Checkpoint{Origin: origin, Size: size, Hash: rootHash}.Marshal()
	signed, err := note.Sign(&note.Note{Text: string(text)}, signers...)
	must(s.tb, err)
	out := string(signed)
	switch how {
	case CheckpointBadSignature:
		// "— origin base64(keyhash || signature)": flip a signature byte.
		i := strings.LastIndex(out, " ")
		sigLine, err := base64.StdEncoding.DecodeString(strings.TrimSuffix(out[i+1:], "\n"))
		must(s.tb, err)
		sigLine[len(sigLine)-3] ^= 1
		out = out[:i+1] + base64.StdEncoding.EncodeToString(sigLine) + "\n"
	case CheckpointNoOrigin:
		_, out, _ = strings.Cut(out, "\n")
	}
	return out
}

// merkleRoot is RFC 6962's MTH over leaf hashes.
func merkleRoot(leaves [][]byte) []byte {
	if len(leaves) == 1 {
		return leaves[0]
	}
	k := split(len(leaves))
	return rfc6962.DefaultHasher.HashChildren(merkleRoot(leaves[:k]), merkleRoot(leaves[k:]))
}

// merklePath is RFC 6962's PATH(m, D[n]): the audit path of leaf m, from
// the leaf up.
func merklePath(m int, leaves [][]byte) [][]byte {
	if len(leaves) <= 1 {
		return [][]byte{}
	}
	k := split(len(leaves))
	if m < k {
		return append(merklePath(m, leaves[:k]), merkleRoot(leaves[k:]))
	}
	return append(merklePath(m-k, leaves[k:]), merkleRoot(leaves[:k]))
}

// split is the largest power of two smaller than n (n > 1).
func split(n int) int {
	k := 1
	for k*2 < n {
		k *= 2
	}
	return k
}
