import { chromium, type Browser, type LaunchOptions } from 'playwright-core';

/** Debian's Chromium, headless, with the flags that keep it off the network; never a downloaded browser. */
export function launchChromium(options: Pick<LaunchOptions, 'timeout'> = {}): Promise<Browser> {
  return chromium.launch({
    ...options,
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
