export type { Notice, NoticeDevice, NoticeDevices } from './notice.js';
export {
  NOTICE_SETTINGS,
  type NoticeResult,
  NoticeSender,
  type NoticeSenderDeps,
  type NoticeSettings,
} from './notice-sender.js';
