export {
  configureSandboxProviders,
  describeEmulators,
  EMULATOR_CA_FILE,
  emulatorProviderCredentials,
  registerSandboxDevices,
  SANDBOX_USER,
  startSandboxEmulators,
} from './emulators.js';
export { type PhoneMessage, type SandboxDevice, type SandboxPhone, SandboxPhones } from './phones.js';
export { prepareSandbox, SANDBOX_FILE, type SandboxInfo, writeSandboxFile } from './sandbox.js';
