// The app's one window. Its page runs isolated and sandboxed; it reaches the main process only
// through the preload's window.raftManager.
import { BrowserWindow } from 'electron';

export async function createMainWindow(pageUrl: string, preloadPath: string): Promise<BrowserWindow> {
  const mainWindow = new BrowserWindow({
    width: 1280,
    height: 820,
    minWidth: 760,
    minHeight: 520,
    title: 'Raft Manager',
    backgroundColor: '#f5f6f8',
    show: false,
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      webviewTag: false,
    },
  });
  mainWindow.once('ready-to-show', () => mainWindow.show());
  await mainWindow.loadURL(pageUrl);
  return mainWindow;
}
