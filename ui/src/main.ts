import { createApp } from 'vue';
import 'vant/lib/index.css';
import './styles.css';
import App from './App.vue';
import { makeRouter } from './router';

createApp(App).use(makeRouter()).mount('#app');
