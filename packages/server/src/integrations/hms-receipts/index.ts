export { type HmsReceiptBody, HmsReceiptBodySchema, MAX_BODY_BYTES, MAX_STATUSES } from './body.js';
export {
  HmsReceiptIntake,
  type HmsReceiptIntakeDeps,
  type ReceiptAnswer,
  type ReceiptSigners,
} from './intake.js';
