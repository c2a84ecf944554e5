export { prepareSandbox, SANDBOX_FILE, type SandboxInfo } from './sandbox.js';
