// Errors the node agent's server answers with: an HTTP status and upstream kubelet's plain-text message.

export class KubeletHttpError extends Error {
  override name = 'KubeletHttpError';
  constructor(
    readonly status: number,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export const httpErrors = {
  badRequest: (message: string) => new KubeletHttpError(400, message),
  notFound: (message: string) => new KubeletHttpError(404, message),
};
