// The commands the screens call: the typed wrappers over Tauri's `invoke`. Errors arrive
// as `AppError { code, message, fields? }`.
import * as commands from '@/api/commands';

export const api = commands;
