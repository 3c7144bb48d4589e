// The error of a refused or failed operation (membership change, fault, drill): its message is the
// reason, written for the person who asked.
export class OperationError extends Error {
  override readonly name = 'OperationError';
}
