/** Stylesheets are bundled by esbuild (dashboards/build.ts) into the app's one CSS file. */
declare module '*.css';
