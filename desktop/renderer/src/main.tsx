import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';
import { connect } from './connection.ts';
import '@fontsource/roboto-mono/latin-400.css';
import '@fontsource/roboto-mono/latin-700.css';
import './styles.css';

const root = createRoot(document.getElementById('root')!);
connect().then(
  (client) => root.render(<App client={client} />),
  (err: Error) =>
    root.render(
      <p role="alert" className="error">
        {err.message}
      </p>,
    ),
);
