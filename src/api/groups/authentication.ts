// authentication.k8s.io/v1: TokenReviews and SelfSubjectReviews (POST only; answered, never stored).
import type { ResourceType } from '../types.ts';
import { CREATE_ONLY } from './common.ts';

const review = (kind: string, plural: string, singular: string): ResourceType => ({
  group: 'authentication.k8s.io',
  version: 'v1',
  kind,
  listKind: `${kind}List`,
  plural,
  singular,
  namespaced: false,
  verbs: CREATE_ONLY,
  schemaType: `io.k8s.api.authentication.v1.${kind}`,
});

// An empty spec.token is answered with 400 "token is required for TokenReview in authentication" by the
// handler (upstream's REST code), not by field validation.
export const resources: ResourceType[] = [
  review('SelfSubjectReview', 'selfsubjectreviews', 'selfsubjectreview'),
  review('TokenReview', 'tokenreviews', 'tokenreview'),
];
